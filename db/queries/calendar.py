"""The working-day calendar's entered days: holidays and 调休 workdays an admin typed from a notice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CalendarDay


@dataclass(frozen=True)
class EnteredDay:
    """One entered day with who entered it and when."""

    day: dt.date
    is_workday: bool
    name: str
    entered_by: str
    entered_at: dt.datetime


def entered_days(session: Session) -> dict[dt.date, tuple[bool, str]]:
    """Every entered day → (is_workday, name), to lay over the shipped holiday table."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.is_workday, CalendarDay.name))
    return {day: (bool(work), name) for day, work, name in rows}


def entered_rows(session: Session, *, year: int) -> list[EnteredDay]:
    """The days entered for ``year``, by date."""
    stmt = (
        select(CalendarDay)
        .where(CalendarDay.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
        .order_by(CalendarDay.day)
    )
    return [
        EnteredDay(r.day, bool(r.is_workday), r.name, r.entered_by, r.entered_at)
        for r in session.scalars(stmt)
    ]
