"""Login bookkeeping kept in the database: credentials, failed attempts, lockouts, login events.

streamlit-authenticator only checks a password against a dict; counting failures and locking
an account must hold across sessions and processes, so it lives here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import LoginEvent, User

LOCK_AFTER_FAILURES = 5
LOCK_MINUTES = 15
# A bcrypt-shaped string that no password matches: a locked account stays in the credentials
# (so a failed attempt on it can be told apart) but cannot log in with a password.
UNMATCHABLE_HASH = "$2b$12$" + "." * 53


def is_locked(user: User, now: dt.datetime) -> bool:
    """True while the account is locked after too many failed logins."""
    return user.locked_until is not None and user.locked_until > now


def login_credentials(session: Session, *, now: dt.datetime) -> dict[str, Any]:
    """The credentials dict streamlit-authenticator expects, built fresh from active users."""
    users = session.scalars(select(User).where(User.is_active.is_(True))).all()
    return {
        "usernames": {
            u.username: {
                "name": u.display_name,
                "email": u.email,
                "password": UNMATCHABLE_HASH if is_locked(u, now) else u.password_hash,
                "roles": [u.role],
                "failed_login_attempts": 0,
            }
            for u in users
        }
    }


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


def may_stay_logged_in(session: Session, *, username: str, now: dt.datetime) -> bool:
    """False if the account was disabled or locked since its cookie was issued."""
    user = session.scalar(select(User).where(User.username == username))
    return user is not None and user.is_active and not is_locked(user, now)
