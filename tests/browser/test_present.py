"""会议大屏 in Debian's chromium at 1920×1080: every slide captured, fits, Chinese, anonymised, offline.

Screenshots go to ``test-artifacts/present-*.png`` (kept by CI as artifacts).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from domain.reference import SERVICE_POINT_LABELS
from domain.slides import SLIDE_ORDER, SlideKind
from tests.browser.conftest import AppServer, login, shot, wait_idle

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1920, "height": 1080}
INTERVAL_S = 6


@pytest.fixture(scope="module")
def present_server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[AppServer]:
    """The app on a fresh demo database with a short slide interval and a meeting title."""
    server = AppServer(
        tmp_path_factory.mktemp("present"),
        env_extra={
            "MINQING_SLIDE_SECONDS": str(INTERVAL_S),
            "MINQING_PRESENT_TITLE": "文盛社区 党员大会",
        },
    )
    yield server
    server.stop()


@pytest.fixture
def wall(browser) -> Iterator[object]:
    """A 1920×1080 page (a projector) that records every request it makes."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.requests = []  # type: ignore[attr-defined]
    pg.on("request", lambda req: pg.requests.append(req.url))  # type: ignore[attr-defined]
    yield pg
    context.close()


def personal_data(db_path: object) -> set[str]:
    """Every resident's name and phone in the demo database (households and reporters)."""
    with sqlite3.connect(str(db_path)) as conn:
        rows = conn.execute(
            "SELECT head_name, phone FROM households "
            "UNION SELECT reporter_name, reporter_phone FROM cases"
        ).fetchall()
    return {v.strip() for row in rows for v in row if v and len(v.strip()) >= 2}


def heading(page) -> str:
    return page.locator(".st-key-present-heading h2").inner_text().strip()


def wait_for_slide(page, kind: SlideKind) -> None:
    page.wait_for_function(
        "t => document.querySelector('.st-key-present-heading h2')?.innerText.trim() === t",
        arg=kind.heading,
    )
    wait_idle(page)
    if kind in (SlideKind.MAP, SlideKind.TREND, SlideKind.RANKING, SlideKind.LEVELS):
        page.wait_for_selector(".js-plotly-plot .main-svg")
    page.wait_for_timeout(800)  # let the map and charts paint before the screenshot


FIT_JS = """() => {
  const de = document.documentElement;
  const scrollers = [...document.querySelectorAll('*')].filter(el => {
    const s = getComputedStyle(el);
    return ['auto', 'scroll'].includes(s.overflowY) && el.scrollHeight > el.clientHeight + 2
        && el.clientHeight > 0;
  }).map(el => el.getAttribute('data-testid') || el.className);
  const cut = [...document.querySelectorAll(
      '[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]')]
    .filter(el => el.offsetParent !== null)
    .filter(el => { const r = el.getBoundingClientRect();
      return r.width > 0 && (r.bottom > innerHeight + 1 || r.right > innerWidth + 1
                             || r.top < -1 || r.left < -1); })
    .map(el => el.innerText.slice(0, 40));
  return {sh: de.scrollHeight, sw: de.scrollWidth, ih: innerHeight, iw: innerWidth,
          scrollers, cut};
}"""


MAP_JS = """() => {
  const plot = document.querySelector('.js-plotly-plot');
  const svg = plot.querySelector('.main-svg');
  const rgb = s => s.match(/\\d+/g).slice(0, 3).map(Number);
  return {container: rgb(getComputedStyle(plot.parentElement).backgroundColor + ' 0 0 0'),
          paper: rgb(getComputedStyle(svg).backgroundColor),
          legend: [...plot.querySelectorAll('.legend .traces .legendtext')].map(t => t.textContent),
          labels: [...plot.querySelectorAll('.textpoint text')].length,
          canvases: plot.querySelectorAll('canvas').length};
}"""


def assert_dark_named_map(page) -> None:
    """The map slide: dark (no white box), cells named, one legend entry per service-point kind."""
    got = page.evaluate(MAP_JS)
    assert max(got["paper"]) < 60, got  # #0b1220, not white
    assert got["canvases"] == 0, got  # no tile map (WebGL) that paints white first
    assert got["labels"] >= 5, got
    assert sorted(got["legend"]) == sorted(SERVICE_POINT_LABELS.values()), got


def test_every_slide_fits_is_chinese_anonymised_and_offline(
    present_server: AppServer, wall
) -> None:
    page = wall
    login(page, present_server.url, "viewer")
    page.wait_for_selector(".st-key-present-heading h2")
    wait_idle(page)
    assert "文盛社区 党员大会" in page.locator(".st-key-present-title").inner_text()
    # Hold the deck so that each capture shows the slide we asked for.
    page.get_by_role("button", name="Ⅱ 暂停").click()
    page.get_by_role("button", name="▶ 继续").wait_for()
    current = SLIDE_ORDER.index(next(k for k in SLIDE_ORDER if k.heading == heading(page)))
    while current != 0:
        page.get_by_role("button", name="◀ 上一页").click()
        current -= 1
        wait_for_slide(page, SLIDE_ORDER[current])

    secrets = personal_data(present_server.db_path)
    assert len(secrets) > 100  # the demo really has residents to leak
    for i, kind in enumerate(SLIDE_ORDER):
        if i:
            page.get_by_role("button", name="下一页 ▶").click()
        wait_for_slide(page, kind)
        shot(page, f"present-{i + 1}-{kind.value}")
        fit = page.evaluate(FIT_JS)
        assert fit["sh"] <= fit["ih"] and fit["sw"] <= fit["iw"], (kind, fit)
        assert not fit["scrollers"], (kind, fit["scrollers"])
        assert not fit["cut"], (kind, fit["cut"])
        text = page.evaluate("() => document.body.innerText + ' ' + document.body.textContent")
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, (kind, leaked[:5])
        assert page.evaluate(
            "() => document.fonts.check('64px \"Noto Sans CJK SC\"', '走访解决率')"
        )
        if kind is SlideKind.HEADLINE:
            sizes = page.evaluate(
                """() => [...document.querySelectorAll(
                    '.st-key-present-headline [data-testid="stMetricValue"]')].map(el => {
                      const leaf = [...el.querySelectorAll('*')].filter(
                        c => c.children.length === 0 && c.innerText.trim()).pop() || el;
                      return [leaf.innerText, parseFloat(getComputedStyle(leaf).fontSize)];
                    })"""
            )
            assert len(sizes) == 3, sizes
            assert all(size >= 64 for _, size in sizes), sizes
            labels = page.locator(".st-key-present-headline [data-testid='stMetricLabel']")
            assert labels.all_inner_texts() == ["走访次数", "解决率", "帮扶人次"]
        if kind is SlideKind.MAP:
            assert_dark_named_map(page)
        if kind is SlideKind.NOTICES:
            assert page.locator(".st-key-present-notices table tbody tr").count() > 0

    # The keyboard drives the deck too: → wraps from the last slide to the first.
    page.keyboard.press("ArrowRight")
    wait_for_slide(page, SLIDE_ORDER[0])
    # Resumed, the deck moves on by itself within one interval (plus a tick).
    page.get_by_role("button", name="▶ 继续").click()
    page.get_by_role("button", name="Ⅱ 暂停").wait_for()
    wait_for_slide(page, SLIDE_ORDER[1])

    # No toolbar, Deploy button or sidebar on the wall; nothing fetched from outside.
    for testid in ("stToolbar", "stAppDeployButton", "stSidebar", "stHeader"):
        loc = page.locator(f'[data-testid="{testid}"]')
        assert loc.count() == 0 or not loc.first.is_visible(), testid
    hosts = {urlparse(u).hostname for u in page.requests if not u.startswith(("data:", "blob:"))}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts


INAPP_JS = """() => {
  const clipped = el => el.scrollWidth > el.clientWidth + 1;
  const values = [...document.querySelectorAll(
      '.st-key-present-headline [data-testid="stMetricValue"] *')].filter(
      e => e.children.length === 0 && e.innerText.trim());
  const buttons = [...document.querySelectorAll('[data-testid="stMain"] button p, '
      + '[data-testid="stMain"] [data-testid="stLinkButton"] p')];
  const nav = [...document.querySelectorAll('[data-testid="stSidebarNav"] span')]
      .filter(e => e.innerText.trim());
  const rgb = s => s.match(/\\d+/g).slice(0, 3).map(Number);
  const link = document.querySelector('[data-testid="stLinkButton"] a');
  return {values: values.map(e => [e.innerText, clipped(e)]),
          buttons: buttons.map(e => [e.innerText, clipped(e) || clipped(e.parentElement)]),
          nav: nav.map(e => rgb(getComputedStyle(e).color)),
          link: [rgb(getComputedStyle(link).backgroundColor),
                 rgb(getComputedStyle(link.querySelector('p')).color)]};
}"""


def test_in_app_deck_is_readable_and_present_mode_has_an_exit(
    present_server: AppServer, browser
) -> None:
    """Inside the app (1400×900): readable menu, whole figures and buttons; then full screen."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        login(page, present_server.url, "secretary", path="/present")
        page.wait_for_selector(".st-key-present-heading h2")
        wait_idle(page)
        page.get_by_role("button", name="Ⅱ 暂停").click()
        page.get_by_role("button", name="▶ 继续").wait_for()
        while heading(page) != SLIDE_ORDER[0].heading:
            page.get_by_role("button", name="下一页 ▶").click()
            page.wait_for_timeout(500)
        wait_for_slide(page, SLIDE_ORDER[0])
        assert page.get_by_text("汇报期间").is_visible()
        shot(page, "present-inapp-1400")
        got = page.evaluate(INAPP_JS)
        assert len(got["values"]) == 3 and not any(c for _, c in got["values"]), got["values"]
        assert not [t for t, c in got["buttons"] if c], got["buttons"]
        assert got["nav"] and all(sum(c) < 3 * 160 for c in got["nav"]), got["nav"]  # dark text
        background, text = got["link"]
        assert max(background) < 80 and min(text) > 200, got["link"]  # 全屏放映 light on dark

        page.set_viewport_size(VIEWPORT)
        page.goto(present_server.url + "/present?mode=present")
        page.wait_for_selector(".st-key-present-heading h2")
        wait_idle(page)
        page.wait_for_timeout(800)
        assert page.locator('[role="dialog"]').count() == 0  # no 「Page not found」 over the deck
        shot(page, "present-fullscreen-1920")
        subtitle = page.locator(".st-key-present-heading p").first
        assert float(subtitle.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 32
        colour = subtitle.evaluate("e => getComputedStyle(e).color")
        assert min(int(v) for v in re.findall(r"\d+", colour)[:3]) > 200, colour  # not grey
        exit_button = page.get_by_role("button", name="退出放映")
        assert exit_button.is_visible()
    finally:
        context.close()
