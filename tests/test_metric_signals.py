"""Metric arrows only beside changes (issue 16, item 7): a count or a note gets no arrow.

Streamlit draws an arrow beside every delta unless told otherwise (``delta_arrow``), so
「11 / 23 件」 and 「当前在办且已超期」 pointed up, and 首页's 「此前同期 349」 pointed up while
the month had 25.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.proto.Metric_pb2 import Metric

from db.queries.kpis import KpiSnapshot
from domain.kpis import Ratio
from tests.helpers.page_tests import open_as, page_world
from ui.headline import headline_tiles, metric_arrow

UP, DOWN, NONE = Metric.MetricDirection.UP, Metric.MetricDirection.DOWN, Metric.MetricDirection.NONE


def _snapshot(visits: int, accepted: int, persons: int) -> KpiSnapshot:
    ratio = Ratio(11, 23)
    return KpiSnapshot(
        visits=visits, visit_persons=visits, visit_coverage=ratio, accepted=accepted,
        resolution=ratio, on_time=ratio, response=ratio, satisfaction=ratio,
        assistance_persons=persons, overdue=4, mean_handling_days=None, repeat=ratio,
        community_resolution=ratio,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "arrow"), [(None, "off"), (0, "off"), (5, "auto"), (-324, "auto")]
)
def test_metric_arrow(change: int | None, arrow: str) -> None:
    assert metric_arrow(change) == arrow


def test_headline_tiles_arrow_only_for_changes() -> None:
    """走访次数 down, 受理件数 down (not coloured), 帮扶人次 unchanged; counts and notes bare."""
    big, small = headline_tiles(_snapshot(25, 7, 3), _snapshot(349, 9, 3))
    shown = [(t.label, t.detail, t.change, t.is_change) for t in big + small]
    assert shown == [
        ("走访次数", "-324 较此前同期", -324, True),
        ("解决率", "11 / 23 件", None, False),
        ("帮扶人次", "+0 较此前同期", 0, True),
        ("受理件数", "-2 较此前同期", -2, False),
        ("满意率", "11 / 23 次回访", None, False),
        ("社区化解率", "11 / 23 件", None, False),
        ("逾期件数", "当前在办且已超期", None, False),
    ]
    assert [metric_arrow(t.change) for t in big + small] == [
        "auto", "off", "off", "auto", "off", "off", "off",
    ]  # fmt: skip


def _home() -> None:
    from pages.home import render

    render()


@pytest.fixture
def home_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A small world with no visits and no cases (every change is 0)."""
    for _ in page_world(tmp_path, monkeypatch, modules=("pages.home",)):
        yield


def test_home_metrics_show_the_change_not_the_old_figure(home_world: None) -> None:
    """首页: the change with the earlier figure beside it; no arrow for 0 or for 解决率's count."""
    at = open_as(_home)
    shown = [(m.label, m.proto.delta, m.proto.direction) for m in at.metric]
    assert shown == [
        ("走访次数", "+0（此前同期 0）", NONE),
        ("解决率", "0 / 0 件", NONE),
        ("帮扶人次", "+0（此前同期 0）", NONE),
    ]


def test_dashboard_tiles_carry_the_change_for_the_arrow() -> None:
    """书记看板: an unchanged rate (「+0.0 百分点」) or count (「+0」) gets no arrow."""
    from db.queries.dashboard_tiles import tiles

    shown = {t.label: (t.delta, metric_arrow(t.change)) for t in tiles(
        _snapshot(25, 7, 3), _snapshot(349, 7, 3), open_cases=5
    )}  # fmt: skip
    assert shown["解决率"] == ("+0.0 百分点", "off")
    assert shown["受理件数"] == ("+0", "off")
    assert shown["走访次数"] == ("-324", "auto")
    assert shown["在办件数"] == (None, "off")


def _dashboard() -> None:
    from pages.dashboard import render

    render()


@pytest.fixture
def dashboard_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The same empty world for 书记看板."""
    for _ in page_world(tmp_path, monkeypatch, modules=("pages.dashboard",)):
        yield


def test_dashboard_metrics_have_no_arrow_beside_no_change(dashboard_world: None) -> None:
    """书记看板 in a world without visits or cases: every 「+0」 is drawn without an arrow."""
    at = open_as(_dashboard, "secretary")
    zero = [(m.label, m.proto.direction) for m in at.metric if m.proto.delta.startswith("+0")]
    assert zero and all(direction == NONE for _, direction in zero), zero
