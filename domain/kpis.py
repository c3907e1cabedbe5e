"""Every KPI of the 民情 pipeline (DOMAIN.md §6), one documented function each.

These are the reference definitions: the SQL in ``db/queries/kpis.py`` must give the same
numbers, and a test compares the two on the same data. Each rate is returned as a
``Ratio`` so that a page can show the count beside the rate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from domain.workflow import (
    ANSWERED_FOLLOW_UPS,
    CLOSED_WITHOUT_RESULT,
    FINISHED_STATUSES,
    OPEN_STATUSES,
    PAUSED_STATUSES,
    SATISFIED_ANSWERS,
    CaseStatus,
    HandlingType,
    Level,
    Satisfaction,
)


@dataclass(frozen=True)
class Period:
    """A half-open time range ``[start, end)`` of naive Asia/Shanghai times."""

    start: dt.datetime
    end: dt.datetime

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, dt.datetime) and self.start <= moment < self.end

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        """The calendar month that contains ``day``."""
        start = dt.datetime(day.year, day.month, 1)
        end = dt.datetime(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return cls(start, end)

    @classmethod
    def quarter_of(cls, day: dt.date) -> Period:
        """The calendar quarter that contains ``day``."""
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = dt.datetime(day.year, first_month, 1)
        end_month = first_month + 3
        end = dt.datetime(day.year + (end_month > 12), (end_month - 1) % 12 + 1, 1)
        return cls(start, end)

    @classmethod
    def year_of(cls, day: dt.date) -> Period:
        """The calendar year that contains ``day``."""
        return cls(dt.datetime(day.year, 1, 1), dt.datetime(day.year + 1, 1, 1))

    @property
    def length(self) -> dt.timedelta:
        """How long the period lasts."""
        return self.end - self.start

    def up_to(self, today: dt.date) -> Period:
        """The part of the period up to the end of ``today`` (本月 on 10 December: 1–10 December).

        A period that ended before ``today`` is returned whole; one not yet begun is empty.
        """
        tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
        return Period(self.start, max(self.start, min(self.end, tomorrow)))

    def previous_same_length(self) -> Period:
        """The period of the same length just before this one (DOMAIN.md §6 "Comparing periods").

        1–10 December is compared with 21–30 November, not with all of November, so that on
        the 1st of a month one day is compared with one day.
        """
        return Period(self.start - self.length, self.start)

    def month_before(self) -> Period:
        """The calendar month before the month this period starts in (for monthly trends)."""
        return Period.month_of(self.start.date().replace(day=1) - dt.timedelta(days=1))


@dataclass(frozen=True)
class Ratio:
    """A rate shown with its count: ``numerator`` of ``denominator``."""

    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        """The fraction, or None when there is nothing to divide by."""
        return self.numerator / self.denominator if self.denominator else None

    def percent(self, digits: int = 1) -> str:
        """The rate as a percentage string, e.g. ``85.3%``; ``—`` when undefined."""
        rate = self.rate
        return "—" if rate is None else f"{rate * 100:.{digits}f}%"


@dataclass(frozen=True)
class KpiDefinition:
    """A KPI as people read it: its Chinese label, its unit and what it counts (DOMAIN.md §6)."""

    key: str
    """The field of ``db.queries.kpis.KpiSnapshot`` that holds it."""
    label: str
    unit: str
    definition: str
    higher_is_better: bool = True


KPI_DEFINITIONS: tuple[KpiDefinition, ...] = (
    KpiDefinition("visits", "走访次数", "次", "本期走访记录条数；走访人次 = 见面人数之和"),
    KpiDefinition("visit_coverage", "走访覆盖率", "户", "本期至少走访一次的户数 ÷ 总户数"),
    KpiDefinition("accepted", "受理件数", "件", "本期受理的民情件数"),
    KpiDefinition(
        "resolution",
        "解决率",
        "件",
        "本期受理且已办结或已答复 ÷ 本期受理（不含退回件和合并的重复件）",
    ),
    KpiDefinition("on_time", "按期办结率", "件", "本期办结且未超期限 ÷ 本期办结"),
    KpiDefinition("response", "响应率", "件", "本期受理且在响应时限内首次联系或办理 ÷ 本期受理"),
    KpiDefinition(
        "satisfaction", "满意率", "次回访", "（满意 + 基本满意）÷ 本期有效回访（不含未评价）"
    ),
    KpiDefinition("assistance_persons", "帮扶人次", "人次", "本期帮扶记录的受助人数之和"),
    KpiDefinition(
        "open_cases",
        "在办件数",
        "件",
        "当前处于已受理、办理中、待补材料或已上报状态的件数",
        higher_is_better=False,
    ),
    KpiDefinition(
        "overdue",
        "逾期件数",
        "件",
        "当前（往月报表按月末时点）仍在办理、未暂停计时且已超过办结期限的件数",
        higher_is_better=False,
    ),
    KpiDefinition(
        "mean_handling_days",
        "平均办理时长",
        "工作日",
        "本期办结案件从受理到办结的平均工作日数，不含补办件等待居民补齐材料的天数",
        higher_is_better=False,
    ),
    KpiDefinition(
        "repeat",
        "重复信访率",
        "件",
        "本期受理中标记为重信的件数 ÷ 本期受理",
        higher_is_better=False,
    ),
    KpiDefinition(
        "community_resolution",
        "社区化解率",
        "件",
        "本期已解决案件中在社区层面化解的件数 ÷ 本期已解决件数",
    ),
)
"""Every KPI's label, unit and definition: the landing page, the dashboard's help and the
reports all show these texts (one copy; DOMAIN.md §6)."""

KPIS: dict[str, KpiDefinition] = {k.key: k for k in KPI_DEFINITIONS}
"""``KPI_DEFINITIONS`` by key."""

COMPARISON_NOTE = "与上一期（之前同样天数的时段，如 12月1日–10日 对比 11月21日–30日）相比"
"""How a period is compared (``Period.previous_same_length``), as the pages say it."""


@dataclass(frozen=True)
class CaseFacts:
    """What the KPIs need to know about one case."""

    accepted_at: dt.datetime
    status: CaseStatus
    handling_type: HandlingType
    deadline_at: dt.datetime | None = None
    response_due_at: dt.datetime | None = None
    first_response_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    handling_working_days: int | None = None
    resolved_level: Level | None = None
    is_repeat: bool = False
    satisfaction: Satisfaction | None = None
    followed_up_at: dt.datetime | None = None
    paused_at: dt.datetime | None = None
    """Start of the 补办 wait the case is in now (None when not waiting)."""
    material_waits: tuple[tuple[dt.datetime, dt.datetime | None], ...] = ()
    """Its 补办 waits from the timeline: (通知补材料, 材料已补齐 or None while still waiting)."""
    updated_at: dt.datetime | None = None
    """The last change: when a case that left the open states without a finish time (退回, 合并)
    left them (those states are final)."""


@dataclass(frozen=True)
class VisitFacts:
    """One visit record (走访): when, which household, how many people met."""

    visited_at: dt.datetime
    people_met: int
    household_id: int | None = None


@dataclass(frozen=True)
class AssistanceFacts:
    """One assistance record (帮扶): when and how many persons were helped."""

    given_at: dt.datetime
    persons_helped: int


def _accepted(cases: Iterable[CaseFacts], period: Period) -> list[CaseFacts]:
    return [c for c in cases if c.accepted_at in period]


def _counts_for_resolution(case: CaseFacts) -> bool:
    """退回件 and merged duplicates are left out of 解决率's base."""
    return case.handling_type != HandlingType.RETURN and case.status not in CLOSED_WITHOUT_RESULT


def _resolved(cases: Iterable[CaseFacts], period: Period) -> list[CaseFacts]:
    """Cases accepted in the period and resolved or answered: 解决率's numerator."""
    return [
        c
        for c in _accepted(cases, period)
        if _counts_for_resolution(c) and c.status in FINISHED_STATUSES
    ]


def visit_count(visits: Iterable[VisitFacts], period: Period) -> int:
    """走访次数: visit records in the period."""
    return sum(1 for v in visits if v.visited_at in period)


def visit_person_count(visits: Iterable[VisitFacts], period: Period) -> int:
    """走访人次: people met over the visits in the period."""
    return sum(v.people_met for v in visits if v.visited_at in period)


def visit_coverage(visits: Iterable[VisitFacts], household_count: int, period: Period) -> Ratio:
    """走访覆盖率: households visited at least once in the period / households."""
    visited = {v.household_id for v in visits if v.visited_at in period and v.household_id}
    return Ratio(len(visited), household_count)


def accepted_count(cases: Iterable[CaseFacts], period: Period) -> int:
    """受理件数: cases accepted in the period."""
    return len(_accepted(cases, period))


def resolution_rate(cases: Iterable[CaseFacts], period: Period) -> Ratio:
    """解决率: accepted in the period and resolved or answered / accepted in the period.

    退回件 and merged duplicates are excluded from both sides.
    """
    base = [c for c in _accepted(cases, period) if _counts_for_resolution(c)]
    return Ratio(len(_resolved(base, period)), len(base))


def on_time_rate(cases: Iterable[CaseFacts], period: Period) -> Ratio:
    """按期办结率: finished in the period on or before the deadline / finished in the period."""
    finished = [c for c in cases if c.finished_at is not None and c.finished_at in period]
    on_time = sum(
        1
        for c in finished
        if c.finished_at is not None
        and c.deadline_at is not None
        and c.finished_at <= c.deadline_at
    )
    return Ratio(on_time, len(finished))


def response_rate(cases: Iterable[CaseFacts], period: Period) -> Ratio:
    """响应率: accepted in the period with a first action within the response limit / accepted."""
    accepted = _accepted(cases, period)
    responded = sum(
        1
        for c in accepted
        if c.first_response_at is not None
        and c.response_due_at is not None
        and c.first_response_at <= c.response_due_at
    )
    return Ratio(responded, len(accepted))


def satisfaction_rate(cases: Iterable[CaseFacts], period: Period) -> Ratio:
    """满意率: (满意 + 基本满意) / follow-up calls in the period that got an answer.

    A case counts once, with the answer of its latest follow-up; 未评价 is excluded.
    """
    answered = [
        c
        for c in cases
        if c.followed_up_at is not None
        and c.followed_up_at in period
        and c.satisfaction in ANSWERED_FOLLOW_UPS
    ]
    return Ratio(sum(1 for c in answered if c.satisfaction in SATISFIED_ANSWERS), len(answered))


def assistance_person_count(records: Iterable[AssistanceFacts], period: Period) -> int:
    """帮扶人次: persons helped over the assistance records in the period."""
    return sum(r.persons_helped for r in records if r.given_at in period)


def overdue_count(cases: Iterable[CaseFacts], now: dt.datetime) -> int:
    """逾期件数: open cases, clock running, past their deadline at ``now``."""
    return sum(
        1
        for c in cases
        if c.status in OPEN_STATUSES
        and c.status not in PAUSED_STATUSES
        and c.deadline_at is not None
        and c.deadline_at < now
    )


def open_at(case: CaseFacts, moment: dt.datetime) -> bool:
    """Whether the case was open at ``moment``: accepted before it and not yet closed.

    Closed means finished before ``moment`` (``finished_at``), or, for a case that is closed now
    without a finish time (退回, 合并), last changed before ``moment``. A case finished and then
    reopened by a 不满意 回访 counts as open again (its fresh deadline lies after the reopening).
    """
    if case.accepted_at >= moment:
        return False
    if case.finished_at is not None:
        return case.finished_at >= moment
    closed_without_finish = case.status not in OPEN_STATUSES
    return not (closed_without_finish and (case.updated_at is None or case.updated_at < moment))


def paused_at_moment(case: CaseFacts, moment: dt.datetime) -> bool:
    """Whether the case's clock stood still at ``moment``: a 补办 wait begun before it and not
    ended by then (from the timeline), or the current wait when it began before ``moment``."""
    if case.paused_at is not None and case.paused_at < moment:
        return True
    return any(
        start < moment and (stop is None or stop >= moment) for start, stop in case.material_waits
    )


def overdue_count_as_of(cases: Iterable[CaseFacts], moment: dt.datetime) -> int:
    """逾期件数 as it stood at ``moment`` (a report for a past month: at its end, DOMAIN.md §6).

    Open at ``moment`` (``open_at``), the clock running (not ``paused_at_moment``) and the
    deadline before ``moment``. The deadline is today's ``deadline_at``: a deadline moved later
    after ``moment`` (a 补办 wait or 上报 begun after it) counts with its later date, so such a
    case may be left out; deadlines are never moved earlier.
    """
    return sum(
        1
        for c in cases
        if open_at(c, moment)
        and not paused_at_moment(c, moment)
        and c.deadline_at is not None
        and c.deadline_at < moment
    )


def mean_handling_days(cases: Iterable[CaseFacts], period: Period) -> float | None:
    """平均办理时长: mean working days from acceptance to finish, over cases finished in the period.

    ``handling_working_days`` leaves out the days a 补办件 waited for the resident's materials.
    """
    days = [
        c.handling_working_days
        for c in cases
        if c.finished_at is not None
        and c.finished_at in period
        and c.handling_working_days is not None
    ]
    return sum(days) / len(days) if days else None


def repeat_rate(cases: Iterable[CaseFacts], period: Period) -> Ratio:
    """重复信访率: cases accepted in the period flagged as repeats (重信) / cases accepted."""
    accepted = _accepted(cases, period)
    return Ratio(sum(1 for c in accepted if c.is_repeat), len(accepted))


def community_resolution_rate(cases: Iterable[CaseFacts], period: Period) -> Ratio:
    """社区化解率: cases resolved at the 社区 level / cases resolved (解决率's numerator)."""
    resolved = _resolved(cases, period)
    at_community = sum(1 for c in resolved if c.resolved_level == Level.COMMUNITY)
    return Ratio(at_community, len(resolved))
