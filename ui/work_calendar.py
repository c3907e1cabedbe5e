"""Keeps the process's working-day calendar in step with the admin's entered days."""

from __future__ import annotations

import time

from db.queries.calendar import entered_days
from domain.calendar import use_entered_days
from ui.context import get_sessions

REFRESH_SECONDS = 60.0
_last: list[float] = []


def refresh_calendar() -> None:
    """Read the entered days now and lay them over the shipped table for every deadline."""
    with get_sessions()() as session:
        use_entered_days(entered_days(session))
    _last[:] = [time.monotonic()]


def keep_calendar_current() -> None:
    """Refresh the entered days at most once a minute (another server process may have saved some)."""
    if not _last or time.monotonic() - _last[0] > REFRESH_SECONDS:
        refresh_calendar()
