"""A grid worker on a 390×844 phone (issue 16 items 1 and 4): the menu closes after a page is
chosen, the to-do list and the ledger show their key columns without horizontal scrolling, the
visit form is the first thing on 走访记录, and a saved visit clears the form so that another tap
on 保存 saves nothing twice. Screenshots of each step go to ``test-artifacts/phone-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from db.engine import make_engine, session_factory
from db.models import Visit
from tests.browser.conftest import choose, login, single, wait_idle

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 390, 844
KEY_COLUMNS = ("案件编号", "提示", "状态", "办结期限")
"""What a grid worker looks for in a case list: 编号, the 逾期/临期 hint, 状态 and 期限."""


@pytest.fixture
def phone(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A page in a 390×844 touch viewport (zh-CN)."""
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT},
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
    )
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The phone's screen as the worker sees it (not the full page)."""
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"))


def _menu_to(page, title: str) -> None:  # type: ignore[no-untyped-def]
    """Open the menu, choose ``title``; the menu must close and leave the page uncovered."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    page.get_by_test_id("stExpandSidebarButton").click()
    link = sidebar.get_by_role("link", name=title)
    link.wait_for()
    page.wait_for_timeout(400)  # the menu slides in
    box = sidebar.bounding_box()
    assert box is not None and box["x"] + box["width"] > WIDTH / 2  # it did open
    link.click()
    wait_idle(page)
    heading = page.locator("h1").filter(has_text=title).first
    heading.wait_for()
    page.wait_for_timeout(600)  # the menu slides out
    box = sidebar.bounding_box()
    assert box is None or box["x"] + box["width"] <= 1, box  # closed: nothing of it on screen
    # the page's heading is what a tap on it would hit (no menu or backdrop over it)
    hit = page.evaluate(
        """(h) => { const r = h.getBoundingClientRect();
                    const e = document.elementFromPoint(r.left + 10, r.top + r.height / 2);
                    return h.contains(e); }""",
        heading.element_handle(),
    )
    assert hit, f"something covers 「{title}」"


def _no_page_overflow(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= WIDTH, f"the page scrolls sideways ({width} px)"


def _key_columns_on_screen(page, where: str) -> None:  # type: ignore[no-untyped-def]
    """The first case table: inside the screen and its key columns visible without scrolling.

    The table is drawn on a canvas; its accessibility table lists the columns the visible part
    shows. The column after the last key column being listed means the key columns end inside
    the visible part; the table itself must lie within the viewport, unscrolled.
    """
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.locator("canvas").first.wait_for()
    page.wait_for_function(
        """(g) => g.querySelectorAll('th[role=columnheader]').length > 0""",
        arg=grid.element_handle(),
    )
    box = grid.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (where, box)
    scrolled = grid.evaluate("g => g.querySelector('.dvn-scroller')?.scrollLeft ?? 0")
    assert scrolled == 0, where
    shown = grid.evaluate(
        "g => [...g.querySelectorAll('th[role=columnheader]')].map(th => th.textContent.trim())"
    )
    missing = [c for c in KEY_COLUMNS if c not in shown]
    assert not missing, (where, "key columns off-screen", missing, shown)
    last = max(shown.index(c) for c in KEY_COLUMNS)
    assert len(shown) > last + 1, (where, "the last key column is cut at the edge", shown)
    _no_page_overflow(page)


def _shown_choice(page, label: str) -> str:  # type: ignore[no-untyped-def]
    """The option a selectbox shows as chosen: its combobox's value ("" shows the placeholder)."""
    return str(single(page.get_by_label(label, exact=True)).input_value()).strip()


def _visits(db_path) -> int:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        with session_factory(engine)() as session:
            return int(session.scalar(select(func.count()).select_from(Visit)) or 0)
    finally:
        engine.dispose()


def test_grid_worker_phone_flow(app_server, phone) -> None:  # type: ignore[no-untyped-def]
    page = phone
    login(page, app_server.url, "gridworker")
    _shot(page, "1-home")

    _menu_to(page, "我的待办")
    _key_columns_on_screen(page, "我的待办")
    _shot(page, "2-todo")

    _menu_to(page, "民情台账")
    _key_columns_on_screen(page, "民情台账")
    _shot(page, "3-ledger")

    _menu_to(page, "走访记录")
    first = single(page.get_by_label("走访网格", exact=True))
    first.wait_for()
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= HEIGHT, box  # on the first screen
    _no_page_overflow(page)
    _shot(page, "4-visit-form")

    before = _visits(app_server.db_path)
    choose(page, "走访网格")
    cell = _shown_choice(page, "走访网格")
    assert cell, "no 网格 chosen"
    single(page.get_by_label("或楼栋（未入户时填写）")).fill("3栋2单元")
    single(page.get_by_label("走访记录")).fill("入户了解老人近况，身体尚好")
    save = single(page.get_by_role("button", name="保存走访"))
    save.scroll_into_view_if_needed()
    save.click()
    page.get_by_text("走访已保存").first.wait_for()
    wait_idle(page)
    assert _visits(app_server.db_path) == before + 1
    _shot(page, "5-visit-saved")

    # the form is cleared: what looks unsaved is empty, not the visit just saved
    assert single(page.get_by_label("或楼栋（未入户时填写）")).input_value() == ""
    assert single(page.get_by_label("走访记录")).input_value() == ""
    assert _shown_choice(page, "走访网格") == "", "the 网格 just saved is still chosen"
    # a second tap on 保存 saves no second visit
    save = single(page.get_by_role("button", name="保存走访"))
    save.scroll_into_view_if_needed()
    save.click()
    wait_idle(page)
    page.wait_for_timeout(500)
    assert _visits(app_server.db_path) == before + 1
    _shot(page, "6-second-tap")
