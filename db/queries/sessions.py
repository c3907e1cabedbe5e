"""Server-side login sessions as the login gate and the user admin page read them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import User, UserSession


@dataclass(frozen=True)
class SessionRow:
    """One login session with what the gate needs to know of its user (one indexed read)."""

    id: str
    username: str
    last_seen_at: dt.datetime
    revoked_at: dt.datetime | None
    reason: str | None
    user_active: bool
    locked_until: dt.datetime | None


def session_row(session: Session, *, session_id: str) -> SessionRow | None:
    """The session ``session_id`` and its user (primary-key lookup joined to ``users``)."""
    row = session.execute(
        select(
            UserSession.id,
            User.username,
            UserSession.last_seen_at,
            UserSession.revoked_at,
            UserSession.reason,
            User.is_active,
            User.locked_until,
        )
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == session_id)
    ).one_or_none()
    return None if row is None else SessionRow(*row)


def idle_cutoff(now: dt.datetime, idle_minutes: int) -> dt.datetime | None:
    """Sessions last seen before this have idled out (None: no idle timeout)."""
    return now - dt.timedelta(minutes=idle_minutes) if idle_minutes > 0 else None


def live_session_counts(session: Session, *, now: dt.datetime, idle_minutes: int) -> dict[int, int]:
    """User id → number of sessions not revoked and not idle (the admin page's 在线会话)."""
    query = (
        select(UserSession.user_id, func.count())
        .where(UserSession.revoked_at.is_(None))
        .group_by(UserSession.user_id)
    )
    cutoff = idle_cutoff(now, idle_minutes)
    if cutoff is not None:
        query = query.where(UserSession.last_seen_at >= cutoff)
    return {user_id: count for user_id, count in session.execute(query).tuples()}
