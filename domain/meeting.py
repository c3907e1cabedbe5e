"""The period a meeting looks at (会议大屏, 首页): this month, or the last complete one early on.

DOMAIN.md §6: a meeting early in a month looks at the last complete month unless told
otherwise — on the 1st, one day of data is not a month. ``today`` is a parameter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from domain.kpis import Period


class PeriodChoice(StrEnum):
    """What the secretary picked for the meeting on the in-app deck."""

    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    MONTH = "month"

    @property
    def label(self) -> str:
        """The choice as the picker shows it."""
        return PERIOD_CHOICE_LABELS[self]


PERIOD_CHOICE_LABELS: dict[PeriodChoice, str] = {
    PeriodChoice.THIS_MONTH: "本月至今",
    PeriodChoice.LAST_MONTH: "上月完整月",
    PeriodChoice.MONTH: "指定月份",
}


@dataclass(frozen=True)
class MeetingPeriod:
    """A period shown to a meeting and how the screen names it."""

    period: Period
    label: str


def this_month_so_far(today: dt.date) -> Period:
    """本月至今: the 1st of ``today``'s month up to the end of ``today``."""
    return Period.month_of(today).up_to(today)


def last_complete_month(today: dt.date) -> Period:
    """上月完整月: the whole calendar month before ``today``'s."""
    return Period.month_of(today).month_before()


def chosen_month(month: dt.date, today: dt.date) -> Period:
    """The calendar month of ``month``, cut at ``today`` when it is the current one."""
    return Period.month_of(month).up_to(today)


def period_label(period: Period, today: dt.date) -> str:
    """The period as the screen names it: 「2026年11月（上月完整月）」, 「2026年12月（本月截至12月3日）」."""
    start = period.start
    name = f"{start.year}年{start.month}月"
    if period.start.date() == today.replace(day=1):
        last = (period.end - dt.timedelta(days=1)).date()
        return f"{name}（本月截至{last.month}月{last.day}日）"
    if period == last_complete_month(today):
        return f"{name}（上月完整月）"
    return name


def meeting_period(today: dt.date, min_days: int) -> MeetingPeriod:
    """This month so far once it has ``min_days`` days, before that the last complete month."""
    period = this_month_so_far(today) if today.day >= min_days else last_complete_month(today)
    return MeetingPeriod(period, period_label(period, today))


def picked_period(
    choice: PeriodChoice, today: dt.date, month: dt.date | None = None
) -> MeetingPeriod:
    """The period the secretary picked (``month`` only for ``PeriodChoice.MONTH``)."""
    if choice is PeriodChoice.THIS_MONTH:
        period = this_month_so_far(today)
    elif choice is PeriodChoice.LAST_MONTH or month is None:
        period = last_complete_month(today)
    else:
        period = chosen_month(month, today)
    return MeetingPeriod(period, period_label(period, today))


def default_choice(today: dt.date, min_days: int) -> PeriodChoice:
    """The picker's preselection: what ``meeting_period`` would show."""
    return PeriodChoice.THIS_MONTH if today.day >= min_days else PeriodChoice.LAST_MONTH


def recent_months(today: dt.date, count: int = 24) -> list[dt.date]:
    """The first days of the ``count`` months up to ``today``'s, newest first (the month picker)."""
    months = [today.replace(day=1)]
    while len(months) < count:
        months.append((months[-1] - dt.timedelta(days=1)).replace(day=1))
    return months
