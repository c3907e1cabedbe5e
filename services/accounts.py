"""Login bookkeeping kept in the database: failed attempts, lockouts, login events.

streamlit-authenticator only checks a password against a dict; counting failures and locking
an account must hold across sessions and processes, so it lives here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import LoginEvent, User
from db.queries.users import is_locked

LOCK_AFTER_FAILURES = 5
LOCK_MINUTES = 15


def record_success(session: Session, *, username: str, now: dt.datetime, detail: str = "") -> None:
    """A login went through: reset the failure count and log it."""
    user = session.scalar(select(User).where(User.username == username))
    if user is not None:
        user.failed_logins = 0
        user.locked_until = None
    session.add(LoginEvent(username=username, at=now, outcome="success", detail=detail or None))
    session.commit()


def record_failure(session: Session, *, username: str, now: dt.datetime) -> dt.datetime | None:
    """A wrong password: count it; at the 5th the account locks for 15 minutes.

    Returns the time the lock ends if the account is (now) locked, else None.
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is not None and is_locked(user, now):
        session.add(
            LoginEvent(username=username, at=now, outcome="locked", detail="锁定期间尝试登录")
        )
        session.commit()
        return user.locked_until
    session.add(LoginEvent(username=username, at=now, outcome="failure"))
    locked_until = None
    if user is not None:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= LOCK_AFTER_FAILURES:
            locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
            user.locked_until = locked_until
            user.failed_logins = 0
            session.add(
                LoginEvent(
                    username=username,
                    at=now,
                    outcome="locked",
                    detail=f"连续 {LOCK_AFTER_FAILURES} 次登录失败，锁定 {LOCK_MINUTES} 分钟",
                )
            )
    session.commit()
    return locked_until


def record_logout(session: Session, *, username: str, now: dt.datetime) -> None:
    """Log a logout."""
    session.add(LoginEvent(username=username, at=now, outcome="logout"))
    session.commit()
