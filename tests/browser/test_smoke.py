"""Browser smoke test: the login page on a fresh server, a demo login, the headline KPIs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot, wait_idle

pytestmark = pytest.mark.browser


def test_login_page_lists_demo_accounts(app_server, page):
    page.goto(app_server.url + "/")
    page.get_by_label("用户名").wait_for()
    wait_idle(page)
    body = page.locator("body")  # the demo panel is drawn beside the form: wait for it
    for username in ("admin", "secretary", "staff", "gridworker", "viewer", "minqing-demo"):
        expect(body).to_contain_text(username)
    shot(page, "login-page")


def test_secretary_sees_headline_kpis(app_server, page):
    login(page, app_server.url, "secretary")
    page.get_by_text("走访次数").first.wait_for()
    metrics = page.locator('[data-testid="stMetric"]')
    expect(metrics).to_have_count(3)
    labels = [
        metrics.nth(i).locator('[data-testid="stMetricLabel"]').inner_text() for i in range(3)
    ]
    values = [
        metrics.nth(i).locator('[data-testid="stMetricValue"]').inner_text() for i in range(3)
    ]
    assert labels == ["走访次数", "解决率", "帮扶人次"]
    assert re.fullmatch(r"[\d,]+", values[0]) and int(values[0].replace(",", "")) > 0
    assert re.fullmatch(r"\d{1,3}\.\d%", values[1])
    assert re.fullmatch(r"[\d,]+", values[2]) and int(values[2].replace(",", "")) > 0
    shot(page, "secretary-home")


def test_wrong_password_is_refused_in_chinese(app_server, page):
    page.goto(app_server.url + "/")
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("用户名或密码不正确").wait_for()
    assert page.get_by_role("button", name="退出登录").count() == 0
