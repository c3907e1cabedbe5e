"""The reference KPI functions (DOMAIN.md §6) on a small fixture computed by hand.

Period: November 2026, ``[2026-11-01, 2026-12-01)``; now: 2026-11-20 10:00.
"""

from __future__ import annotations

import datetime as dt

import pytest

from domain.kpis import (
    KPI_DEFINITIONS,
    KPIS,
    AssistanceFacts,
    CaseFacts,
    Period,
    Ratio,
    VisitFacts,
    accepted_count,
    assistance_person_count,
    community_resolution_rate,
    mean_handling_days,
    on_time_rate,
    overdue_count,
    repeat_rate,
    resolution_rate,
    response_rate,
    satisfaction_rate,
    visit_count,
    visit_coverage,
    visit_person_count,
)
from domain.workflow import CaseStatus as S
from domain.workflow import HandlingType as H
from domain.workflow import Level as L
from domain.workflow import Satisfaction as Sat

T = dt.datetime.fromisoformat
D = dt.date.fromisoformat
NOV = Period(T("2026-11-01 00:00"), T("2026-12-01 00:00"))
NOW = T("2026-11-20 10:00")


def case(accepted: str, status: S, handling: H, deadline: str, **more: object) -> CaseFacts:
    """A CaseFacts with times written as ISO strings."""
    times = {k: T(v) for k, v in more.items() if k.endswith("_at") and isinstance(v, str)}
    return CaseFacts(
        accepted_at=T(accepted),
        status=status,
        handling_type=handling,
        deadline_at=T(deadline),
        **{**more, **times},  # type: ignore[arg-type]
    )


# fmt: off
CASES: dict[int, CaseFacts] = {
    # 1 done on time, answered in a day, 社区, 满意
    1: case("2026-11-02 09:00", S.FOLLOWED_UP, H.PROMISED, "2026-11-05 23:59:59",
            response_due_at="2026-11-03 23:59:59", first_response_at="2026-11-02 10:00",
            finished_at="2026-11-04 15:00", handling_working_days=2, resolved_level=L.COMMUNITY,
            satisfaction=Sat.SATISFIED, followed_up_at="2026-11-06 10:00"),
    # 2 answered late, responded late, 街道
    2: case("2026-11-03 09:00", S.ANSWERED, H.ESCALATE, "2026-11-06 23:59:59",
            response_due_at="2026-11-04 23:59:59", first_response_at="2026-11-05 09:00",
            finished_at="2026-11-10 11:00", handling_working_days=5, resolved_level=L.SUBDISTRICT),
    # 3 open and past its deadline: overdue
    3: case("2026-11-05 09:00", S.IN_PROGRESS, H.SUPPLEMENT, "2026-11-10 23:59:59",
            response_due_at="2026-11-06 23:59:59", first_response_at="2026-11-05 10:00"),
    # 4 waiting for materials, past its deadline: paused, not overdue; never responded
    4: case("2026-11-09 09:00", S.AWAITING_MATERIALS, H.SUPPLEMENT, "2026-11-12 23:59:59",
            response_due_at="2026-11-10 23:59:59"),
    # 5 returned: out of 解决率
    5: case("2026-11-06 09:00", S.RETURNED, H.RETURN, "2026-11-09 23:59:59",
            response_due_at="2026-11-09 23:59:59", first_response_at="2026-11-06 11:00"),
    # 6 merged duplicate, a repeat: out of 解决率, in 重复信访率
    6: case("2026-11-10 09:00", S.MERGED, H.PROMISED, "2026-11-30 23:59:59",
            response_due_at="2026-11-11 23:59:59", first_response_at="2026-11-10 09:30",
            is_repeat=True),
    # 7 accepted in October, finished late in November
    7: case("2026-10-28 09:00", S.NOTIFIED, H.IMMEDIATE, "2026-10-28 23:59:59",
            finished_at="2026-11-02 10:00", handling_working_days=3, resolved_level=L.COMMUNITY),
    # 8 accepted in October, escalated, overdue now
    8: case("2026-10-20 09:00", S.ESCALATED, H.ESCALATE, "2026-10-23 23:59:59"),
    # 9 即办 same day, repeat, follow-up not answered (未评价)
    9: case("2026-11-12 09:00", S.FOLLOWED_UP, H.IMMEDIATE, "2026-11-12 23:59:59",
            response_due_at="2026-11-13 23:59:59", first_response_at="2026-11-12 09:05",
            finished_at="2026-11-12 16:00", handling_working_days=0, resolved_level=L.COMMUNITY,
            is_repeat=True, satisfaction=Sat.NO_ANSWER, followed_up_at="2026-11-16 10:00"),
    # 10 不满意 on follow-up: reopened, deadline still ahead
    10: case("2026-11-13 09:00", S.IN_PROGRESS, H.PROMISED, "2026-11-27 23:59:59",
             response_due_at="2026-11-16 23:59:59", first_response_at="2026-11-13 10:00",
             satisfaction=Sat.DISSATISFIED, followed_up_at="2026-11-18 10:00"),
    # 11 finished in the very last second of its deadline, 区, 基本满意
    11: case("2026-11-16 09:00", S.ARCHIVED, H.PROMISED, "2026-11-18 23:59:59",
             response_due_at="2026-11-17 23:59:59", first_response_at="2026-11-16 09:10",
             finished_at="2026-11-18 23:59:59", handling_working_days=2, resolved_level=L.DISTRICT,
             satisfaction=Sat.BASICALLY_SATISFIED, followed_up_at="2026-11-19 10:00"),
    # 12 accepted at the first instant of the period, responded in the last second
    12: case("2026-11-01 00:00", S.RESOLVED, H.SUPPLEMENT, "2026-11-04 23:59:59",
             response_due_at="2026-11-02 23:59:59", first_response_at="2026-11-02 23:59:59",
             finished_at="2026-11-04 10:00", handling_working_days=3, resolved_level=L.COMMUNITY),
    # 13 accepted one second before the period, a repeat, not yet due
    13: case("2026-10-31 23:59:59", S.IN_PROGRESS, H.PROMISED, "2026-11-30 23:59:59",
             first_response_at="2026-11-02 09:00", is_repeat=True),
    # 14 finished and followed up in October (satisfied): outside every November KPI
    14: case("2026-10-10 09:00", S.ARCHIVED, H.PROMISED, "2026-10-20 23:59:59",
             finished_at="2026-10-15 10:00", handling_working_days=3, resolved_level=L.COMMUNITY,
             satisfaction=Sat.SATISFIED, followed_up_at="2026-10-31 20:00"),
    # 15 a 退回件 closed with an answer: out of 解决率 and so out of 社区化解率 too
    15: case("2026-11-17 09:00", S.ANSWERED, H.RETURN, "2026-11-18 23:59:59",
             response_due_at="2026-11-18 23:59:59", first_response_at="2026-11-17 09:30",
             finished_at="2026-11-17 15:00", handling_working_days=0, resolved_level=L.COMMUNITY),
    # 16 due today at midnight: not overdue at 10:00; no response yet
    16: case("2026-11-18 09:00", S.ACCEPTED, H.PROMISED, "2026-11-20 23:59:59",
             response_due_at="2026-11-19 23:59:59"),
}
# fmt: on
ALL = list(CASES.values())

VISITS = [
    VisitFacts(T("2026-11-02 09:00"), 3, household_id=1),
    VisitFacts(T("2026-11-15 15:00"), 2, household_id=1),  # the same household again
    VisitFacts(T("2026-11-20 10:00"), 1, household_id=2),
    VisitFacts(T("2026-10-31 23:59:59"), 4, household_id=3),  # October
    VisitFacts(T("2026-11-30 23:59:59"), 2, household_id=None),  # a building, not a household
    VisitFacts(T("2026-12-01 00:00"), 5, household_id=4),  # December
]
ASSISTANCE = [
    AssistanceFacts(T("2026-11-05 11:00"), 13),  # 爱心盒饭 for 13 elders
    AssistanceFacts(T("2026-11-20 09:00"), 2),
    AssistanceFacts(T("2026-10-31 12:00"), 100),
]


def test_accepted_count():
    # 1–6, 9–12, 15, 16; not 7, 8, 13 (October) nor 14
    assert accepted_count(ALL, NOV) == 12


def test_resolution_rate_excludes_returned_and_merged():
    # base: 12 accepted minus 5 (returned), 6 (merged), 15 (退回件) = 9; finished: 1, 2, 9, 11, 12
    assert resolution_rate(ALL, NOV) == Ratio(5, 9)
    assert resolution_rate(ALL, NOV).percent() == "55.6%"


def test_on_time_rate_counts_cases_finished_in_the_period():
    # finished in November: 1 ✓, 2 ✗, 7 ✗, 9 ✓, 11 ✓ (last second), 12 ✓, 15 ✓
    assert on_time_rate(ALL, NOV) == Ratio(5, 7)


def test_response_rate():
    # of the 12 accepted, 2 (late), 4 and 16 (no response yet) miss; 12 answers in the last second
    assert response_rate(ALL, NOV) == Ratio(9, 12)


def test_satisfaction_rate_excludes_no_answer():
    # followed up in November: 1 满意, 9 未评价 (left out), 10 不满意, 11 基本满意; 14 is October
    assert satisfaction_rate(ALL, NOV) == Ratio(2, 3)
    assert satisfaction_rate(ALL, NOV).percent() == "66.7%"


def test_overdue_excludes_paused_and_closed_cases():
    # 3 and 8; not 4 (paused), 16 (due tonight), 10 and 13 (due later), nor any closed case
    assert overdue_count(ALL, NOW) == 2
    assert overdue_count(ALL, T("2026-11-21 00:00")) == 3  # 16 has now passed its deadline
    assert overdue_count([CASES[4]], T("2027-01-01 00:00")) == 0


def test_mean_handling_days_over_cases_finished_in_the_period():
    # 1: 2, 2: 5, 7: 3, 9: 0, 11: 2, 12: 3, 15: 0 → 15 / 7
    assert mean_handling_days(ALL, NOV) == pytest.approx(15 / 7)


def test_repeat_rate():
    # 6 and 9 are repeats accepted in November; 13 is a repeat from October
    assert repeat_rate(ALL, NOV) == Ratio(2, 12)


def test_community_resolution_rate():
    # resolved (解决率's numerator): 1 社区, 2 街道, 9 社区, 11 区, 12 社区
    assert community_resolution_rate(ALL, NOV) == Ratio(3, 5)


def test_community_resolution_is_based_on_the_cases_resolution_counts():
    resolved = resolution_rate(ALL, NOV).numerator
    assert community_resolution_rate(ALL, NOV).denominator == resolved


def test_visit_kpis():
    assert visit_count(VISITS, NOV) == 4
    assert visit_person_count(VISITS, NOV) == 8
    assert visit_coverage(VISITS, 5, NOV) == Ratio(2, 5)
    assert visit_coverage(VISITS, 5, NOV).percent() == "40.0%"


def test_assistance_person_count():
    assert assistance_person_count(ASSISTANCE, NOV) == 15


@pytest.mark.parametrize(
    ("kpi", "empty"),
    [
        (accepted_count, 0),
        (resolution_rate, Ratio(0, 0)),
        (on_time_rate, Ratio(0, 0)),
        (response_rate, Ratio(0, 0)),
        (satisfaction_rate, Ratio(0, 0)),
        (mean_handling_days, None),
        (repeat_rate, Ratio(0, 0)),
        (community_resolution_rate, Ratio(0, 0)),
    ],
)
def test_kpis_of_an_empty_period(kpi, empty):
    december = Period(T("2027-12-01 00:00"), T("2028-01-01 00:00"))
    assert kpi(ALL, december) == empty


def test_seed_check_1594_of_1869():
    answered = [CaseFacts(T("2026-04-10 09:00"), S.ANSWERED, H.PROMISED) for _ in range(1594)]
    waiting = [CaseFacts(T("2026-04-12 09:00"), S.IN_PROGRESS, H.PROMISED) for _ in range(275)]
    ratio = resolution_rate(answered + waiting, Period.year_of(D("2026-04-30")))
    assert ratio == Ratio(1594, 1869)
    assert ratio.percent() == "85.3%"


@pytest.mark.parametrize(
    ("ratio", "digits", "text"),
    [
        (Ratio(1594, 1869), 1, "85.3%"),
        (Ratio(1, 3), 2, "33.33%"),
        (Ratio(2, 3), 0, "67%"),
        (Ratio(2, 2), 1, "100.0%"),
        (Ratio(0, 7), 1, "0.0%"),
        (Ratio(0, 0), 1, "—"),
    ],
)
def test_ratio_percent(ratio: Ratio, digits: int, text: str):
    assert ratio.percent(digits) == text


def test_ratio_rate():
    assert Ratio(1, 4).rate == 0.25
    assert Ratio(3, 0).rate is None


@pytest.mark.parametrize(
    ("make", "day", "start", "end"),
    [
        (Period.month_of, "2026-11-20", "2026-11-01", "2026-12-01"),
        (Period.month_of, "2026-12-31", "2026-12-01", "2027-01-01"),
        (Period.month_of, "2026-02-01", "2026-02-01", "2026-03-01"),
        (Period.quarter_of, "2026-11-20", "2026-10-01", "2027-01-01"),
        (Period.quarter_of, "2026-02-28", "2026-01-01", "2026-04-01"),
        (Period.quarter_of, "2026-06-30", "2026-04-01", "2026-07-01"),
        (Period.quarter_of, "2026-07-01", "2026-07-01", "2026-10-01"),
        (Period.year_of, "2026-11-20", "2026-01-01", "2027-01-01"),
    ],
)
def test_period_constructors(make, day: str, start: str, end: str):
    assert make(D(day)) == Period(T(start), T(end))


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        # DOMAIN.md §6: 1–10 December is compared with 21–30 November, not all of November
        (Period(T("2026-12-01 00:00"), T("2026-12-11 00:00")), ("2026-11-21", "2026-12-01")),
        # on the 1st of a month: one day with the day before
        (Period(T("2026-12-01 00:00"), T("2026-12-02 00:00")), ("2026-11-30", "2026-12-01")),
        (Period(T("2026-03-01 00:00"), T("2026-03-02 00:00")), ("2026-02-28", "2026-03-01")),
        # a whole month: as many days before it (November has 30: 2–31 October)
        (Period.month_of(D("2026-11-20")), ("2026-10-02", "2026-11-01")),
        (Period.month_of(D("2026-03-05")), ("2026-01-29", "2026-03-01")),
        (Period.year_of(D("2026-11-05")), ("2025-01-01", "2026-01-01")),
        (Period(T("2026-11-10 00:00"), T("2026-11-17 00:00")), ("2026-11-03", "2026-11-10")),
        (
            Period(T("2026-11-01 08:00"), T("2026-12-01 08:00")),
            ("2026-10-02 08:00", "2026-11-01 08:00"),
        ),
    ],
)
def test_period_previous_same_length(period: Period, previous: tuple[str, str]):
    assert period.previous_same_length() == Period(T(previous[0]), T(previous[1]))


@pytest.mark.parametrize(
    ("period", "today", "expected"),
    [
        (Period.month_of(D("2026-12-10")), "2026-12-10", ("2026-12-01", "2026-12-11")),
        (Period.month_of(D("2026-12-01")), "2026-12-01", ("2026-12-01", "2026-12-02")),
        (Period.month_of(D("2026-12-31")), "2026-12-31", ("2026-12-01", "2027-01-01")),
        (Period.month_of(D("2026-11-20")), "2026-12-10", ("2026-11-01", "2026-12-01")),  # past
        (Period.quarter_of(D("2026-11-05")), "2026-11-05", ("2026-10-01", "2026-11-06")),
        (Period.month_of(D("2027-01-05")), "2026-12-10", ("2027-01-01", "2027-01-01")),  # future
    ],
)
def test_period_up_to_today(period: Period, today: str, expected: tuple[str, str]):
    assert period.up_to(D(today)) == Period(T(expected[0]), T(expected[1]))


@pytest.mark.parametrize(
    ("day", "month_before"),
    [("2026-11-20", ("2026-10-01", "2026-11-01")), ("2026-01-05", ("2025-12-01", "2026-01-01"))],
)
def test_month_before(day: str, month_before: tuple[str, str]):
    assert Period.month_of(D(day)).month_before() == Period(T(month_before[0]), T(month_before[1]))


def test_period_is_half_open():
    assert T("2026-11-01 00:00") in NOV
    assert T("2026-11-30 23:59:59") in NOV
    assert T("2026-12-01 00:00") not in NOV
    assert T("2026-10-31 23:59:59") not in NOV
    assert D("2026-11-15") not in NOV  # a date is not a moment


SECTION_6 = (
    "走访次数", "走访覆盖率", "受理件数", "解决率", "按期办结率", "响应率", "满意率",
    "帮扶人次", "逾期件数", "平均办理时长", "重复信访率", "社区化解率",
)  # fmt: skip
"""DOMAIN.md §6's KPIs, in its order."""


def test_every_section_6_kpi_has_one_label_unit_and_definition():
    labels = [k.label for k in KPI_DEFINITIONS]
    assert [label for label in labels if label in SECTION_6] == list(SECTION_6)
    assert len(set(labels)) == len(labels) and len(KPIS) == len(KPI_DEFINITIONS)
    assert all(k.unit and len(k.definition) >= 8 for k in KPI_DEFINITIONS)
    assert "不含退回件和合并的重复件" in KPIS["resolution"].definition
    # 平均办理时长 leaves out the days a 补办件 waited for the resident's materials
    assert "不含补办件等待居民补齐材料的天数" in KPIS["mean_handling_days"].definition
    assert "未评价" in KPIS["satisfaction"].definition
