"""Sessions end on the server: a login cookie copied before logout no longer logs in, and a
session the admin forces off (强制下线) gets the login form at its next rerun."""

from __future__ import annotations

import time

import pytest

from config import load_settings
from tests.browser.conftest import choose, login, shot, wait_idle

pytestmark = pytest.mark.browser

COOKIE = load_settings({}).cookie_name


def _context(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.set_default_timeout(60_000)
    return context


def _auth_cookies(context, timeout: float = 20.0) -> list[dict]:  # type: ignore[no-untyped-def]
    """The login cookie once the cookie component has set it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [c for c in context.cookies() if c["name"] == COOKIE]
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {COOKIE} cookie after login")


def _shows_login_form(page, reason: str | None = None) -> bool:  # type: ignore[no-untyped-def]
    """The login form (with ``reason`` for the end of the session), no logout button left.

    During the rerun that replaces a page Streamlit briefly keeps the old copy beside the new one,
    so each element is awaited as "one at least" and the logout button until it is gone.
    """
    page.get_by_label("用户名").first.wait_for(timeout=60_000)
    if reason:
        page.get_by_text(reason).first.wait_for(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="退出登录").first.wait_for(state="detached", timeout=30_000)
    return page.get_by_label("密码").count() >= 1


def _logged_in(page) -> bool:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="退出登录").wait_for(timeout=60_000)
    return page.get_by_label("密码").count() == 0


def test_a_cookie_copied_before_logout_gets_the_login_form(app_server, browser):
    first = _context(browser)
    page = first.new_page()
    login(page, app_server.url, "staff")
    copied = _auth_cookies(first)

    replay = _context(browser)  # the copy works while the session lives…
    replay.add_cookies(copied)
    other = replay.new_page()
    other.goto(app_server.url)
    assert _logged_in(other)
    replay.close()

    page.get_by_role("button", name="退出登录").click()
    assert _shows_login_form(page)
    first.close()

    later = _context(browser)  # …and not after the logout
    later.add_cookies(copied)
    stale = later.new_page()
    stale.goto(app_server.url)
    assert _shows_login_form(stale, "已在其他页面或设备退出登录")
    shot(stale, "session-replayed-cookie-after-logout")
    later.close()


def test_force_logout_ends_another_browsers_session_at_its_next_rerun(app_server, browser):
    worker = _context(browser)
    their = worker.new_page()
    login(their, app_server.url, "gridworker")
    assert _logged_in(their)

    office = _context(browser)
    admin = office.new_page()
    login(admin, app_server.url, "admin")  # (a deep link to /users would keep a 密码 field)
    admin.get_by_role("link", name="用户管理").first.click()
    admin.get_by_role("heading", name="用户管理").wait_for()
    choose(admin, "选择用户", "gridworker")
    admin.get_by_role("button", name="强制下线").click()
    admin.get_by_text("已强制 gridworker 下线").wait_for()
    office.close()

    # the grid worker's next rerun (a click in the menu, no reload) ends at the login form
    their.get_by_role("link", name="民情台账").first.click()
    assert _shows_login_form(their, "管理员已强制下线")
    shot(their, "session-forced-logout")
    worker.close()
