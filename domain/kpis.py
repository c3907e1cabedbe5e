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

    def previous(self) -> Period:
        """The period of the same kind just before this one (month, quarter, year or span)."""
        at_midnight = self.start.time() == self.end.time() == dt.time(0)
        if self.start.day == self.end.day == 1 and at_midnight:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
            year, month = divmod(self.start.year * 12 + self.start.month - 1 - months, 12)
            return Period(dt.datetime(year, month + 1, 1), self.start)
        return Period(self.start - (self.end - self.start), self.start)


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
        1 for c in finished if c.deadline_at is not None and c.finished_at <= c.deadline_at
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


def mean_handling_days(cases: Iterable[CaseFacts], period: Period) -> float | None:
    """平均办理时长: mean working days from acceptance to finish, over cases finished in the period."""
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
