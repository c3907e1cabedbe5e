"""The admin's calendar notices: enter or withdraw holidays and 调休 workdays (with history)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db.models import CalendarDay
from domain.roles import Actor, Role
from services.history import record_change


class CalendarError(ValueError):
    """A refused calendar change; ``errors`` maps field → Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


def _day_id(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise CalendarError({"role": "只有管理员可以维护工作日历"})


def save_days(
    session: Session, *, actor: Actor, days: dict[dt.date, tuple[bool, str]], now: dt.datetime
) -> int:
    """Enter (or replace) the given days; each change is recorded. Returns the days written."""
    _require_admin(actor)
    for day, (is_workday, name) in sorted(days.items()):
        row = session.get(CalendarDay, day)
        before = None if row is None else {"is_workday": row.is_workday, "name": row.name}
        after = {"is_workday": is_workday, "name": name}
        if row is None:
            row = CalendarDay(day=day)
            session.add(row)
        elif before == after:
            continue
        row.is_workday, row.name = is_workday, name
        row.entered_by, row.entered_at = actor.username, now
        record_change(
            session,
            entity="calendar_day",
            entity_id=_day_id(day),
            action="create" if before is None else "update",
            before=before,
            after=after,
            username=actor.username,
            now=now,
        )
    session.commit()
    return len(days)


def withdraw_day(session: Session, *, actor: Actor, day: dt.date, now: dt.datetime) -> None:
    """Withdraw an entered day (the shipped table applies again); the withdrawal is recorded."""
    _require_admin(actor)
    row = session.get(CalendarDay, day)
    if row is None:
        raise CalendarError({"day": f"{day.isoformat()} 没有录入过"})
    record_change(
        session,
        entity="calendar_day",
        entity_id=_day_id(day),
        action="withdraw",
        before={"is_workday": row.is_workday, "name": row.name},
        after=None,
        username=actor.username,
        now=now,
    )
    session.delete(row)
    session.commit()
