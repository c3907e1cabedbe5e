"""接待日 in a real browser: schedule a reception day with a deputy, record a resident's concern
there, and find the resulting case in the ledger filtered by channel 接待日.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import choose, login, shot, wait_idle

pytestmark = pytest.mark.browser


def test_reception_concern_reaches_the_ledger_with_channel_reception_day(app_server, page):
    login(page, app_server.url, "staff")
    page.get_by_role("link", name="接待日").click()
    page.get_by_label("接待地点").wait_for()
    wait_idle(page)

    choose(page, "社区")
    page.get_by_label("接待地点").fill("社区党群服务中心一楼接待室")
    choose(page, "接待的代表委员（人大代表/政协委员/党代表）")
    page.keyboard.press("Escape")
    wait_idle(page)
    page.get_by_role("button", name="安排接待日").click()
    page.get_by_text("接待日已安排：").wait_for()
    wait_idle(page)
    shot(page, "reception-1-scheduled")

    page.get_by_role("tab", name="登记诉求").click()
    choose(page, "选择接待日")
    choose(page, "所属网格")
    choose(page, "类别", "环境卫生")
    choose(page, "五件制", "即办件")
    page.get_by_label("诉求内容").fill("小区东门路灯坏了半个月，晚上出行不安全，请代表督促修复")
    page.get_by_label("反映人").fill("接待日测试居民")
    page.get_by_label("联系电话").fill("13912345678")
    page.get_by_role("button", name="登记诉求").click()
    banner = page.get_by_text(re.compile(r"诉求已受理为案件：MQ-\d{4}-\d{6}"))
    banner.wait_for()
    case_no = re.search(r"MQ-\d{4}-\d{6}", banner.inner_text()).group(0)  # type: ignore[union-attr]
    wait_idle(page)
    shot(page, "reception-2-concern")

    page.get_by_role("link", name="民情台账").click()
    search = page.get_by_label("搜索")
    search.wait_for()
    wait_idle(page)
    page.get_by_text("筛选条件").click()
    choose(page, "渠道", "接待日")
    page.keyboard.press("Escape")
    wait_idle(page)
    search.fill(case_no)
    search.press("Enter")
    wait_idle(page)
    page.get_by_text("共 1 件").wait_for()
    shot(page, "reception-3-ledger")
    page.get_by_role("link", name=f"打开案件 {case_no}").click()
    page.get_by_text(f"{case_no} · 已受理").wait_for()
    wait_idle(page)
    # The case's facts table is drawn after its header: wait for it instead of counting at once.
    expect(page.get_by_role("cell", name="接待日", exact=True)).to_have_count(1, timeout=15_000)
