"""Working days in mainland China: weekends, official holidays and 调休 make-up workdays.

The holiday table is data (``data/cn_holidays.json``), regenerated from the maintained
``chinese_calendar`` package by ``scripts/update_holidays.py``; nothing here hard-codes a date.
Years the table does not cover fall back to plain Monday–Friday. Days an admin entered from a
State Council notice the package does not have yet (``calendar_days``) are laid over the table
with ``use_entered_days``; the app does so at start and after every change, so every deadline
computed afterwards (``china_calendar()`` is every clock's default) uses them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
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
    names: Mapping[dt.date, str] = field(default_factory=dict, compare=False, hash=False)
    """The holiday each listed day belongs to (元旦, 春节 …), for the calendar table."""

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

    def with_days(self, days: Mapping[dt.date, tuple[bool, str]]) -> WorkCalendar:
        """This calendar with ``days`` (day → (is_workday, name)) laid over it; their years count as covered."""
        if not days:
            return self
        off = {d for d, (work, _) in days.items() if not work}
        on = set(days) - off
        return WorkCalendar(
            frozenset((self.holidays - on) | off),
            frozenset((self.workdays - off) | on),
            self.covered_years | {d.year for d in days},
            {**self.names, **{d: name for d, (_, name) in days.items()}},
        )

    def year_table(self, year: int) -> list[tuple[dt.date, bool, str]]:
        """Every holiday and 调休 workday of ``year``: (day, is_workday, name), by date."""
        days = sorted(d for d in self.holidays | self.workdays if d.year == year)
        return [(d, d in self.workdays, self.names.get(d, "")) for d in days]


def load_calendar(path: Path = DATA_FILE) -> WorkCalendar:
    """Read a holiday table in the format written by ``scripts/update_holidays.py``."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    names: dict[dt.date, str] = {}
    for year in payload["years"].values():
        holidays.update(dt.date.fromisoformat(d) for d in year["holidays"])
        workdays.update(dt.date.fromisoformat(d) for d in year["workdays"])
        names.update({dt.date.fromisoformat(d): n for d, n in year.get("names", {}).items()})
    return WorkCalendar(
        frozenset(holidays),
        frozenset(workdays),
        frozenset(int(y) for y in payload["years"]),
        names,
    )


@cache
def shipped_calendar() -> WorkCalendar:
    """The calendar shipped with the app (2004–2027, from ``chinese_calendar``)."""
    return load_calendar()


_entered: list[WorkCalendar] = []


def use_entered_days(days: Mapping[dt.date, tuple[bool, str]]) -> None:
    """Lay the admin's entered days (day → (is_workday, name)) over the shipped table from now on."""
    _entered[:] = [shipped_calendar().with_days(days)] if days else []


def china_calendar() -> WorkCalendar:
    """The calendar in force: the shipped table plus the days an admin entered."""
    return _entered[0] if _entered else shipped_calendar()


MAX_HOLIDAY_DAYS = 10


def notice_days(
    name: str, first: dt.date, last: dt.date, workdays: list[dt.date]
) -> tuple[dict[dt.date, tuple[bool, str]], dict[str, str]]:
    """One holiday of a State Council notice as days (day → (is_workday, name)), or field → Chinese errors."""
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = "请填写节日名称（如「春节」）"
    elif len(name) > 40:
        errors["name"] = "节日名称不能超过 40 字"
    if last < first:
        errors["last"] = "放假结束日期不能早于开始日期"
    elif (last - first).days + 1 > MAX_HOLIDAY_DAYS:
        errors["last"] = f"一次放假不能超过 {MAX_HOLIDAY_DAYS} 天，请检查日期"
    for day in workdays:
        if day.weekday() < 5:
            errors["workdays"] = f"调休上班日 {day.isoformat()} 不是周末（周一至周五本来就上班）"
        elif first <= day <= last:
            errors["workdays"] = f"调休上班日 {day.isoformat()} 在放假期间内"
    if errors:
        return {}, errors
    days = {first + dt.timedelta(days=i): (False, name) for i in range((last - first).days + 1)}
    days.update({day: (True, name) for day in workdays})
    return days, {}
