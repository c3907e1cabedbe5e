"""社区对比 and the 街道 月报 against figures worked out by hand (three backends).

The fixture (``tests.helpers.comparison_world``), 1–20 November 2026, 逾期 at 20 November 10:00:

- 社区 A (测试社区, ``hand_world``): 受理 5 (cases 1–5); 解决率 2/4 (the 退回件 is out, cases 1 and 2
  resolved); 按期 1/3 (finished in November: 1 on time, 2 and 6 late); 满意 2/2 (1 满意, 6 基本满意,
  2 未评价 left out); 逾期 2 (3 and 7; 5 is paused); 走访覆盖 2/6; 帮扶 13 + 5 = 18.
- 社区 B (第二社区): 受理 4 (B1–B4; B5 is October's); 解决率 3/4; 按期 2/3 (B2 late); 满意 1/2
  (B2 不满意); 逾期 2 (B4, B5); 走访覆盖 2/8 (the October visit is out); 帮扶 4 + 3 = 7.
- 社区 C (第三社区): 受理 1; 解决率 0/1; 按期 0/0; 满意 0/0; 逾期 1; 走访覆盖 0/2; 帮扶 0.
- 街道: 受理 10; 解决率 5/9 = 55.6% (not the mean of 50%, 75% and 0%); 按期 3/6; 满意 3/4;
  逾期 5; 走访覆盖 4/16; 帮扶 25.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Community
from db.queries.comparison import (
    CommunityComparison,
    community_comparison,
    compares_communities,
    subdistrict_report,
)
from db.queries.dashboard import cached_comparison, clear_dashboard_cache
from db.queries.kpis import KpiSnapshot, kpi_snapshot
from db.queries.scope import Scope
from domain.kpis import KPI_DEFINITIONS, Period, Ratio
from domain.roles import Actor, Role
from services.reports import (
    KPI_HEADERS,
    NOTES_TITLE,
    subdistrict_report_pdf,
    subdistrict_report_xlsx,
)
from tests.factories import World
from tests.helpers.anonymise import pdf_text
from tests.helpers.comparison_world import comparison_world
from tests.helpers.dashboard_worlds import NOW

TO_DATE = Period.month_of(NOW.date()).up_to(NOW.date())  # 1–20 November, as the 月报 takes it

# name → (受理, 解决率, 按期办结率, 满意率, 逾期, 走访覆盖率, 帮扶人次), by hand (module docstring)
HAND = {
    "测试社区": (5, Ratio(2, 4), Ratio(1, 3), Ratio(2, 2), 2, Ratio(2, 6), 18),
    "第二社区": (4, Ratio(3, 4), Ratio(2, 3), Ratio(1, 2), 2, Ratio(2, 8), 7),
    "第三社区": (1, Ratio(0, 1), Ratio(0, 0), Ratio(0, 0), 1, Ratio(0, 2), 0),
    "测试街道合计": (10, Ratio(5, 9), Ratio(3, 6), Ratio(3, 4), 5, Ratio(4, 16), 25),
}


def _figures(k: KpiSnapshot) -> tuple[object, ...]:
    return (k.accepted, k.resolution, k.on_time, k.satisfaction, k.overdue, k.visit_coverage,
            k.assistance_persons)  # fmt: skip


@pytest.fixture
def world(session: Session) -> World:
    return comparison_world(session)


def _comparison(session: Session, min_cases: int) -> CommunityComparison:
    return community_comparison(session, period=TO_DATE, now=NOW, min_cases=min_cases)


def test_comparison_equals_hand_figures(session, world):
    found = _comparison(session, min_cases=2)
    assert [r.name for r in found.ranked] == ["第二社区", "测试社区"]  # 75% above 50%
    assert [r.name for r in found.too_few] == ["第三社区"]  # 1 case, under 2
    for row in [*found.ranked, *found.too_few]:
        assert _figures(row.kpis) == HAND[row.name], row.name
    assert _figures(found.total) == HAND["测试街道合计"]
    assert found.total.resolution.percent() == "55.6%"


@pytest.mark.parametrize(
    ("min_cases", "ranked", "too_few"),
    [
        (1, ["第二社区", "测试社区", "第三社区"], []),
        (4, ["第二社区", "测试社区"], ["第三社区"]),  # 4 accepted meets a minimum of 4
        (5, ["测试社区"], ["第二社区", "第三社区"]),
        (6, [], ["测试社区", "第二社区", "第三社区"]),  # listed apart in code order
    ],
)
def test_minimum_count_is_the_grid_rankings_rule(session, world, min_cases, ranked, too_few):
    found = _comparison(session, min_cases=min_cases)
    assert [r.name for r in found.ranked] == ranked
    assert [r.name for r in found.too_few] == too_few


def test_each_row_is_kpi_snapshot_of_its_community(session, world):
    """No formula of its own: every row equals ``kpi_snapshot`` scanning ``cases`` (no rollups)."""
    found = _comparison(session, min_cases=2)
    for row in [*found.ranked, *found.too_few]:
        scope = Scope(community_id=row.community_id)
        assert row.kpis == kpi_snapshot(
            session, period=TO_DATE, now=NOW, scope=scope, use_rollups=False
        )
    assert found.total == kpi_snapshot(session, period=TO_DATE, now=NOW, use_rollups=False)


def test_one_community_sees_only_its_row(session, world):
    b = session.scalar(select(Community.id).where(Community.code == "T02"))
    found = community_comparison(session, period=TO_DATE, now=NOW, min_cases=2, community_id=b)
    assert [r.name for r in found.ranked + found.too_few] == ["第二社区"]
    assert _figures(found.total) == HAND["第二社区"]


def test_cached_comparison_is_the_comparison(session, world):
    clear_dashboard_cache()
    first = cached_comparison(session, period=TO_DATE, now=NOW, min_cases=2)
    assert first == _comparison(session, min_cases=2)
    assert cached_comparison(session, period=TO_DATE, now=NOW, min_cases=2) is first  # a hit
    clear_dashboard_cache()


@pytest.mark.parametrize(
    ("role", "community_id", "compares"),
    [
        (Role.SUBDISTRICT_LEADER, None, True),
        (Role.ADMIN, None, True),
        (Role.SUBDISTRICT_STAFF, None, False),
        (Role.SECRETARY, 1, False),
        (Role.SECRETARY, None, False),
        (Role.SUBDISTRICT_LEADER, 1, False),  # a leader bound to one 社区 sees only it
    ],
)
def test_who_compares_communities(role, community_id, compares):
    actor = Actor(1, "u", role, community_id=community_id)
    assert compares_communities(actor) is compares


def test_subdistrict_report_lines(session, world):
    report = subdistrict_report(session, month=dt.date(2026, 11, 1), now=NOW)
    assert report.title == "测试街道 2026年11月 各社区民情工作月报"
    assert report.period == TO_DATE
    assert [(line.unit, line.is_total) for line in report.lines] == [
        ("测试社区", False), ("第二社区", False), ("第三社区", False), ("测试街道合计", True),
    ]  # fmt: skip
    for line in report.lines:
        assert _figures(line.kpis) == HAND[line.unit], line.unit


def test_subdistrict_report_xlsx_reads_back_hand_figures(session, world):
    report = subdistrict_report(session, month=dt.date(2026, 11, 1), now=NOW)
    book = load_workbook(io.BytesIO(subdistrict_report_xlsx(report)))
    sheet = book["月报"]
    assert sheet["A1"].value == "测试街道 2026年11月 各社区民情工作月报"
    header = [c.value for c in sheet[4]]
    assert header == ["单位", *KPI_HEADERS]
    rows = {
        r[0]: dict(zip(header, r, strict=True))
        for r in sheet.iter_rows(min_row=5, values_only=True)
        if r[0]
    }
    assert list(rows) == ["测试社区", "第二社区", "第三社区", "测试街道合计"]
    total = rows["测试街道合计"]
    assert (total["受理件数"], total["已解决"], total["逾期件数"], total["帮扶人次"]) == (
        10,
        5,
        5,
        25,
    )
    assert total["解决率"] == pytest.approx(5 / 9)
    assert total["按期办结率"] == pytest.approx(3 / 6)
    assert total["满意率"] == pytest.approx(3 / 4)
    assert total["走访覆盖率"] == pytest.approx(4 / 16)
    b = rows["第二社区"]
    assert (b["受理件数"], b["已解决"], b["逾期件数"], b["帮扶人次"]) == (4, 3, 2, 7)
    assert (b["解决率"], b["按期办结率"], b["满意率"], b["走访覆盖率"]) == pytest.approx(
        (0.75, 2 / 3, 0.5, 0.25)
    )
    c = rows["第三社区"]
    assert (c["受理件数"], c["解决率"], c["按期办结率"], c["满意率"], c["逾期件数"]) == (
        1,
        0.0,
        None,
        None,
        1,
    )
    notes = book[NOTES_TITLE]
    labels = [r[0] for r in notes.iter_rows(min_row=2, values_only=True)]
    assert {"解决率", "按期办结率", "满意率", "走访覆盖率", "帮扶人次"} <= set(labels)
    definitions = {k.label: k.definition for k in KPI_DEFINITIONS}
    assert all(r[1] == definitions[r[0]] for r in notes.iter_rows(min_row=2, values_only=True))


def test_subdistrict_report_pdf_shows_hand_figures(session, world):
    report = subdistrict_report(session, month=dt.date(2026, 11, 1), now=NOW)
    text = pdf_text(subdistrict_report_pdf(report))
    assert "测试街道2026年11月各社区民情工作月报" in text
    for fragment in (
        "测试街道合计10", "55.6%（5/9）", "50.0%（3/6）", "75.0%（3/4）", "25.0%（4/16）",  # 街道
        "第二社区4", "75.0%（3/4）", "66.7%（2/3）", "50.0%（1/2）", "25.0%（2/8）",  # B
        "第三社区1", "0.0%（0/1）", "0.0%（0/2）",  # C
        "各社区受理件数", "各社区解决率", "指标说明",
    ):  # fmt: skip
        assert fragment in text, fragment
