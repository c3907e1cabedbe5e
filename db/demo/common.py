"""What every part of the demo generator shares: fast random helpers, the memoised clock (the
configured ``ClockRules`` applied through ``domain.deadlines``) and the generated period."""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from db.demo import text as T
from domain.calendar import WorkCalendar
from domain.deadlines import (
    ClockRules,
    Pause,
    compute_deadline,
    end_of,
    extend_after_pause,
    handling_working_days,
    reopened_deadline,
    response_due,
)

CHUNK = 10_000
"""Rows per bulk insert."""
MINUTE = dt.timedelta(minutes=1)

Item = TypeVar("Item")


class Picker(Generic[Item]):
    """Weighted choice with precomputed cumulative weights (much faster than ``choices``)."""

    def __init__(self, items: Sequence[Item], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> Item:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def rand_int(rng: random.Random, low: int, high: int) -> int:
    """A random integer in [low, high]; ``random()`` is much cheaper than ``randint``."""
    return low + int(rng.random() * (high - low + 1))


def rand_below(rng: random.Random, low: int, stop: int) -> int:
    """A random integer in [low, stop)."""
    return low + int(rng.random() * (stop - low))


def pick(rng: random.Random, items: Sequence[Item]) -> Item:
    """A uniformly chosen element of ``items``."""
    return items[int(rng.random() * len(items))]


def person_name(rng: random.Random) -> str:
    """A Chinese full name: a surname and one or two given characters."""
    given: str = pick(rng, T.GIVEN_CHARS)
    if rng.random() < 0.7:
        given += pick(rng, T.GIVEN_CHARS)
    surname: str = pick(rng, T.SURNAMES)
    return surname + given


def mobile(rng: random.Random) -> str:
    """An 11-digit mobile number."""
    prefix = pick(rng, ("13", "15", "17", "18", "19"))
    return f"{prefix}{rand_below(rng, 0, 10**9):09d}"


def at(day: dt.date, minute_of_day: int) -> dt.datetime:
    """``day`` at ``minute_of_day`` minutes after midnight."""
    return dt.datetime(day.year, day.month, day.day, minute_of_day // 60, minute_of_day % 60)


def office_minute(rng: random.Random) -> int:
    """A minute of office hours (08:30–12:00, 14:00–17:30)."""
    m = rand_below(rng, 0, 420)
    return 510 + m if m < 210 else 840 + (m - 210)


def months_back(today: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` months before ``today``'s."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(year, month + 1, 1)


# ---------------------------------------------------------------- the clock


class Clock:
    """``domain.deadlines`` under the configured rules, memoised: a million cases ask the same
    few hundred days."""

    def __init__(self, calendar: WorkCalendar, rules: ClockRules) -> None:
        self.cal = calendar
        self.rules = rules
        self._add: dict[tuple[dt.date, int], dt.date] = {}
        self._deadline: dict[tuple[str, dt.date, dt.date | None, bool], dt.datetime] = {}
        self._response: dict[tuple[dt.date, bool], dt.datetime] = {}
        self._between: dict[tuple[dt.date, dt.date], int] = {}
        self._extend: dict[tuple[dt.date, dt.date, dt.date], dt.datetime] = {}
        self._reopened: dict[tuple[dt.date, bool], dt.datetime] = {}

    def add(self, day: dt.date, days: int) -> dt.date:
        """``days`` working days after ``day``."""
        key = (day, days)
        found = self._add.get(key)
        if found is None:
            found = self._add[key] = self.cal.add_working_days(day, days)
        return found

    def deadline(
        self, kind: str, day: dt.date, promised: dt.date | None, urgent: bool
    ) -> dt.datetime:
        """``compute_deadline`` for a case accepted on ``day``."""
        key = (kind, day, promised, urgent)
        found = self._deadline.get(key)
        if found is None:
            found = self._deadline[key] = compute_deadline(
                kind,
                dt.datetime.combine(day, dt.time()),
                promised_date=promised,
                urgent=urgent,
                rules=self.rules,
                calendar=self.cal,
            )
        return found

    def reopened(self, moment: dt.datetime, urgent: bool) -> dt.datetime:
        """``reopened_deadline``: a case reopened by 不满意 gets a fresh standard limit."""
        key = (moment.date(), urgent)
        found = self._reopened.get(key)
        if found is None:
            found = self._reopened[key] = reopened_deadline(
                moment, urgent=urgent, rules=self.rules, calendar=self.cal
            )
        return found

    def response(self, day: dt.date, urgent: bool) -> dt.datetime:
        """``response_due`` for a case accepted on ``day``."""
        key = (day, urgent)
        found = self._response.get(key)
        if found is None:
            found = self._response[key] = response_due(
                dt.datetime.combine(day, dt.time()),
                urgent=urgent,
                rules=self.rules,
                calendar=self.cal,
            )
        return found

    def handling_days(
        self, accepted: dt.datetime, finished: dt.datetime, pauses: Sequence[Pause]
    ) -> int:
        """``handling_working_days``: 办理时长 without the 补办 waits."""
        if not pauses:
            return self.working_days(accepted.date(), finished.date())
        return handling_working_days(accepted, finished, pauses=pauses, calendar=self.cal)

    def working_days(self, start: dt.date, end: dt.date) -> int:
        """Working days from ``start`` to ``end``."""
        key = (start, end)
        found = self._between.get(key)
        if found is None:
            found = self._between[key] = handling_working_days(
                dt.datetime.combine(start, dt.time()),
                dt.datetime.combine(end, dt.time()),
                calendar=self.cal,
            )
        return found

    def extend(
        self, deadline: dt.datetime, paused: dt.datetime, resumed: dt.datetime
    ) -> dt.datetime:
        """``extend_after_pause``: a 补办件's deadline moved on by the days it waited."""
        key = (deadline.date(), paused.date(), resumed.date())
        found = self._extend.get(key)
        if found is None:
            found = self._extend[key] = extend_after_pause(
                end_of(key[0]),
                dt.datetime.combine(key[1], dt.time()),
                dt.datetime.combine(key[2], dt.time()),
                calendar=self.cal,
            )
        return found


# ---------------------------------------------------------------- the period


@dataclass(frozen=True)
class Period:
    """Twelve months ending ``today``, and ``now`` (no generated moment lies after it)."""

    today: dt.date
    now: dt.datetime
    start: dt.date

    def clip_today(self, rng: random.Random, moment: dt.datetime) -> dt.datetime:
        """Keep a generated moment of today at or before ``now``."""
        if moment <= self.now:
            return moment
        midnight = dt.datetime.combine(self.today, dt.time())
        span = max(int((self.now - midnight).total_seconds() // 60), 1)
        return self.now - dt.timedelta(minutes=rand_below(rng, 0, min(span, 240)))

    def days(self, cal: WorkCalendar) -> list[tuple[dt.date, float]]:
        """Every day of the twelve months with its relative case volume."""
        days = []
        day = self.start
        span = (self.today - self.start).days or 1
        while day <= self.today:
            w = 1.0 if cal.is_workday(day) else 0.3
            if day.month in (12, 1, 2):
                w *= 1.1  # burst and leaking pipes
            elif day.month in (6, 7, 8):
                w *= 1.15  # rubbish, drains, noise
            w *= 0.9 + 0.2 * (day - self.start).days / span
            if day == self.today:
                w *= min(1.0, max(0.15, (self.now.hour * 60 + self.now.minute - 480) / 600))
            days.append((day, w))
            day += dt.timedelta(days=1)
        return days
