"""Signals that do not mislead, and the check of English words (issue 16, items 5 and 7).

Whether every page speaks Chinese (no Latin word outside the allow-list, no ⋮ menu or English
table toolbar), for every role at desk and phone size, is the standing check's
(``tests/browser/test_standing_check.py``). Here: the word check itself; the 社区工作人员's 首页
shows an arrow beside a change only; the ledger's hint says what a tick does; no bar label of
书记看板 is clipped.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import login, wait_idle
from tests.helpers.screen_checks import english_words

pytestmark = pytest.mark.browser


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
