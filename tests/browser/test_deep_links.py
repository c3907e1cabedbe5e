"""Logged out, then a link: every page URL shows the login form (no English 「Page not found」
dialog), and logging in from ``/case?id=N`` opens case N (issue 16 item 14)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from db.engine import make_engine, session_factory
from db.models import Case, User
from tests.browser.conftest import login, shot, wait_idle
from ui.navigation import PAGES

pytestmark = pytest.mark.browser

ENGLISH = re.compile(r"Page not found|Running the app's main page|not found", re.IGNORECASE)


def test_every_page_url_logged_out_shows_the_login_form_only(app_server, page) -> None:  # type: ignore[no-untyped-def]
    paths = sorted({s.key.value for s in PAGES} | {s.module.split(".")[-1] for s in PAGES})
    for path in paths:
        page.goto(f"{app_server.url}/{path}?id=1")
        page.get_by_label("用户名").wait_for()
        wait_idle(page)
        page.wait_for_timeout(300)  # the dialog, if any, opens right after the run
        text = page.inner_text("body")
        assert not ENGLISH.search(text), (path, ENGLISH.search(text))
        assert page.locator('[role="dialog"]').count() == 0, path
        assert page.url.split("?")[0].endswith(f"/{path}"), (path, page.url)


def _some_case(app_server) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{app_server.db_path}")
    try:
        with session_factory(engine)() as session:
            unit = select(User.community_id).where(User.username == "secretary")
            row = session.execute(
                select(Case.id, Case.case_no)
                .where(Case.community_id == unit.scalar_subquery())
                .order_by(Case.id.desc())
            ).first()
    finally:
        engine.dispose()
    assert row is not None
    return int(row[0]), str(row[1])


def test_login_from_a_case_link_opens_that_case(app_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{app_server.url}/")  # the first run seeds the demo database
    page.get_by_label("用户名").wait_for()
    case_id, case_no = _some_case(app_server)
    page.goto(f"{app_server.url}/case?id={case_id}")
    page.get_by_label("用户名").wait_for()
    assert not ENGLISH.search(page.inner_text("body"))
    login(page, app_server.url, "secretary", path=f"/case?id={case_id}")
    page.get_by_text(case_no).first.wait_for()
    assert page.url.endswith(f"/case?id={case_id}"), page.url
    assert page.locator("h1").first.inner_text().strip() != "首页"
    shot(page, "deep-link-after-login")


def _no_dialog(page, where: str) -> None:  # type: ignore[no-untyped-def]
    """Fail when Streamlit's 「Page not found」 dialog (or any dialog) is over the page."""
    wait_idle(page)
    page.wait_for_timeout(800)  # the dialog, if any, opens right after the run
    wait_idle(page)
    text = page.inner_text("body")
    assert not ENGLISH.search(text), (where, ENGLISH.search(text))
    assert page.locator('[role="dialog"]').count() == 0, where


def test_logged_in_home_and_full_screen_deck_urls_and_the_way_back(app_server, page) -> None:  # type: ignore[no-untyped-def]
    """/home (the default page's own path), /present?mode=present and 退出放映 show no dialog."""
    login(page, app_server.url, "secretary")
    page.goto(f"{app_server.url}/home")
    page.locator("h1").first.wait_for()
    _no_dialog(page, "/home")
    assert page.locator('[data-testid="stSidebarNav"]').get_by_text("首页").count() == 1

    page.goto(f"{app_server.url}/present?mode=present")
    page.wait_for_selector(".st-key-present-heading h2")
    _no_dialog(page, "/present?mode=present")
    assert not page.locator('[data-testid="stSidebar"]').is_visible()

    page.get_by_role("button", name="退出放映").click()
    page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=20_000)
    _no_dialog(page, "after 退出放映")
    # the in-app deck; its link is drawn after the handout, a moment after the menu
    page.get_by_role("link", name="全屏放映").wait_for(timeout=20_000)
    assert "mode=present" not in page.url, page.url
    shot(page, "deep-link-after-exit")
