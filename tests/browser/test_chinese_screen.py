"""Everything on screen in Chinese, and no signal that misleads (issue 16, items 5 and 7).

The 社区工作人员 ``staff`` opens 首页, 书记看板, 民情台账, 诉求登记 and 台账导入 at 1400×900 and
390×844. A page fails when its visible text, or a placeholder, title or tooltip it carries,
holds a Latin word outside ``tests.helpers.screen_checks.ALLOWED``; when Streamlit's ⋮ menu or a table's English toolbar
is offered; when a chart axis reads 「Jan 2026」; when a metric that is not a change shows an
arrow; when a bar label is clipped. Screenshots go to ``test-artifacts/chinese-*.png``.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import login, shot, wait_idle
from tests.helpers.screen_checks import READABLE_JS, english_words

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1400, 900), "phone": (390, 844)}
PAGES = (
    ("", "民情流水线"),  # 首页 is the default page: its URL is /
    ("dashboard", "书记看板"),
    ("ledger", "民情台账"),
    ("intake", "民情受理"),
    ("import", "台账导入"),
)


def test_english_words_finds_what_users_saw() -> None:
    """The check itself: the texts users reported are caught, Chinese with formats passes."""
    assert english_words("Jan 2026 Apr 2026") == {"Jan", "Apr"}
    assert english_words("200MB per file • XLSX, CSV Upload") == {"per", "file", "Upload"}
    assert english_words("yyyy-mm-dd") == {"yyyy", "mm", "dd"}
    assert english_words("MQ-20260105-0001 导出 Excel / CSV，月报 PDF，GeoJSON") == set()


def _open(page, url: str, path: str, heading: str) -> None:
    page.goto(f"{url}/{path}")
    page.get_by_role("heading", name=heading).first.wait_for()
    wait_idle(page)
    page.wait_for_timeout(1500)  # charts and tables draw after the script run


@pytest.mark.parametrize("size", list(SIZES))
def test_staff_pages_speak_chinese(app_server, browser, size: str) -> None:
    """No English word on the five pages a 社区 clerk uses, at desktop and phone size."""
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        login(page, app_server.url, "staff")
        found: dict[str, set[str]] = {}
        for path, heading in PAGES:
            _open(page, app_server.url, path, heading)
            shot(page, f"chinese-{path or 'home'}-{size}")
            words = english_words(page.evaluate(READABLE_JS))
            if page.locator('[data-testid="stMainMenu"]').count():
                words.add("⋮ menu")
            toolbars = page.locator('[data-testid="stElementToolbar"]')
            if any(toolbars.nth(i).is_visible() for i in range(toolbars.count())):
                words.add("element toolbar")
            if words:
                found[path or "home"] = words
        if found:
            pytest.fail("; ".join(f"{k}: {sorted(v)}" for k, v in found.items()))
    finally:
        context.close()


def test_metrics_arrow_only_for_changes(app_server, page) -> None:
    """An arrow stands beside a change only: 首页's counts ride on their change, 解决率 has none."""
    login(page, app_server.url, "staff")
    _open(page, app_server.url, "home", "民情流水线")
    metrics = page.locator('[data-testid="stMetric"]')
    assert metrics.count() == 3
    for i in range(3):
        metric = metrics.nth(i)
        label = metric.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        delta = metric.locator('[data-testid="stMetricDelta"]')
        text = delta.inner_text().strip()
        arrows = delta.locator("svg, [data-testid='stMetricDeltaIcon-Up'], "
                               "[data-testid='stMetricDeltaIcon-Down']").count()  # fmt: skip
        if label == "解决率":
            assert arrows == 0, text
        else:
            assert "此前同期" in text and re.search(r"[+-]?\d", text), text


def test_ledger_hint_and_tick(app_server, page) -> None:
    """The ledger's hint says what a tick does; the tick then offers the case's link."""
    login(page, app_server.url, "staff")
    _open(page, app_server.url, "ledger", "民情台账")
    body = page.inner_text("body")
    assert "即可打开" not in body
    assert "勾选" in body and "链接" in body


def test_dashboard_bar_labels_fit(app_server, page) -> None:
    """Every bar label of 书记看板's charts lies inside its chart (none clipped, 「解决率 50.0(」)."""
    login(page, app_server.url, "staff")
    _open(page, app_server.url, "dashboard", "书记看板")
    page.locator(".js-plotly-plot .bartext").first.wait_for()
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot .bartext')].filter(t => {
             const box = t.getBoundingClientRect();
             const plot = t.closest('.js-plotly-plot').getBoundingClientRect();
             return box.width > 0 && (box.left < plot.left - 1 || box.right > plot.right + 1
                                      || box.top < plot.top - 1);
           }).map(t => t.textContent)"""
    )
    assert clipped == []
