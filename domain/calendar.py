"""Working days in mainland China: weekends, official holidays and 调休 make-up workdays.

The holiday table is data (``data/cn_holidays.json``), regenerated from the maintained
``chinese_calendar`` package by ``scripts/update_holidays.py``; nothing here hard-codes a date.
Years the table does not cover fall back to plain Monday–Friday.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "cn_holidays.json"


@dataclass(frozen=True)
class WorkCalendar:
    """A working-day calendar: ``holidays`` are days off, ``workdays`` are 调休 weekend workdays."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)
    covered_years: frozenset[int] = field(default_factory=frozenset)

    def is_workday(self, day: dt.date) -> bool:
        """True if ``day`` is a working day (a 调休 Saturday counts, a holiday Monday does not)."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted); 0 → ``start``."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        remaining = days
        while remaining:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                remaining -= 1
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if ``end <= start``)."""
        count = 0
        current = start
        while current < end:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                count += 1
        return count

    def next_workday_on_or_after(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a working day, otherwise the next one."""
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day


def load_calendar(path: Path = DATA_FILE) -> WorkCalendar:
    """Read a holiday table in the format written by ``scripts/update_holidays.py``."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for year in payload["years"].values():
        holidays.update(dt.date.fromisoformat(d) for d in year["holidays"])
        workdays.update(dt.date.fromisoformat(d) for d in year["workdays"])
    return WorkCalendar(
        frozenset(holidays),
        frozenset(workdays),
        frozenset(int(y) for y in payload["years"]),
    )


@cache
def china_calendar() -> WorkCalendar:
    """The calendar shipped with the app (2024–2027)."""
    return load_calendar()
