"""Server-side login sessions: started at login, checked every script run, revocable everywhere.

The login cookie of streamlit-authenticator is a signed token that stays valid until it expires;
alone it cannot be taken back. Each login therefore gets a row in ``user_sessions`` keyed by the
SHA-256 of its cookie (the cookie is never stored), and the gate reads that row on every run
(``db.queries.sessions.session_row``, one primary-key read). Logout, a password change or reset,
disabling the user and the admin's 强制下线 set ``revoked_at`` on every session of the user; a
session unused for ``idle_minutes`` is revoked when next seen. Because the state is in the
database, every process of a multi-process deployment sees a revocation at its next run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import LoginEvent, User, UserSession
from db.queries.sessions import idle_cutoff, session_row
from domain.roles import Actor, Role
from services.audit import add_entry

TOUCH_EVERY = dt.timedelta(minutes=1)
"""``last_seen_at`` is written at most this often per session (the idle clock's resolution)."""


class EndReason(StrEnum):
    """Why a session ended (``user_sessions.reason``); ``label`` is what the login page says."""

    LOGOUT = "logout"
    PASSWORD = "password"
    RESET = "reset"
    DISABLED = "disabled"
    FORCED = "forced"
    IDLE = "idle"
    LOCKED = "locked"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {
            "logout": "已在其他页面或设备退出登录",
            "password": "账户密码已修改",
            "reset": "管理员重置了密码",
            "disabled": "账户已停用",
            "forced": "管理员已强制下线",
            "idle": "长时间未操作",
            "locked": "账户已锁定",
            "unknown": "登录已失效",
        }[self.value]


def session_id_of(token: str) -> str:
    """The id of the session a login cookie belongs to: its SHA-256 (hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_session_id() -> str:
    """An id for a login without a cookie (random, same shape)."""
    return session_id_of(secrets.token_urlsafe(32))


def start_session(session: Session, *, session_id: str, username: str, now: dt.datetime) -> bool:
    """Record a new login's session; False if the user is unknown or the id already used."""
    user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None or session.get(UserSession, session_id) is not None:
        return False
    session.add(UserSession(id=session_id, user_id=user_id, created_at=now, last_seen_at=now))
    session.commit()
    return True


def check_session(
    session: Session, *, session_id: str, username: str, now: dt.datetime, idle_minutes: int
) -> EndReason | None:
    """None while the session is live (``last_seen_at`` refreshed at most once a minute), else
    why it ended; an idle, disabled or locked session is revoked here."""
    row = session_row(session, session_id=session_id)
    if row is None or row.username != username:
        return EndReason.UNKNOWN
    if row.revoked_at is not None:
        known = {reason.value for reason in EndReason}
        return EndReason(row.reason) if row.reason in known else EndReason.UNKNOWN
    ended: EndReason | None = None
    cutoff = idle_cutoff(now, idle_minutes)
    if not row.user_active:
        ended = EndReason.DISABLED
    elif row.locked_until is not None and row.locked_until > now:
        ended = EndReason.LOCKED
    elif cutoff is not None and row.last_seen_at < cutoff:
        ended = EndReason.IDLE
    if ended is not None:
        _revoke(session, UserSession.id == session_id, ended, now)
        session.commit()
    elif now - row.last_seen_at >= TOUCH_EVERY:
        session.execute(
            update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
        )
        session.commit()
    return ended


def _revoke(session: Session, which: object, reason: EndReason, now: dt.datetime) -> int:
    result = session.execute(
        update(UserSession)
        .where(which, UserSession.revoked_at.is_(None))  # type: ignore[arg-type]
        .values(revoked_at=now, reason=reason.value)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_user_sessions(
    session: Session, *, user_id: int, reason: EndReason, now: dt.datetime, keep: str | None = None
) -> int:
    """Revoke every live session of ``user_id`` but ``keep`` (part of the caller's transaction)."""
    which = UserSession.user_id == user_id
    if keep is not None:
        which = which & (UserSession.id != keep)
    return _revoke(session, which, reason, now)


def logout(session: Session, *, username: str, now: dt.datetime) -> int:
    """The user logged out: every session of theirs ends, everywhere; the logout is logged."""
    session.add(LoginEvent(username=username, at=now, outcome="logout"))
    user_id = session.scalar(select(User.id).where(User.username == username))
    count = 0
    if user_id is not None:
        count = revoke_user_sessions(session, user_id=user_id, reason=EndReason.LOGOUT, now=now)
    session.commit()
    return count


def force_logout(session: Session, *, actor: Actor, user_id: int, now: dt.datetime) -> int:
    """强制下线 (admin): end every session of the user at once; recorded in the audit log."""
    if actor.role is not Role.ADMIN:
        raise PermissionError("只有管理员可以强制下线")
    user = session.get(User, user_id)
    if user is None:
        raise LookupError("用户不存在")
    count = revoke_user_sessions(session, user_id=user_id, reason=EndReason.FORCED, now=now)
    add_entry(
        session, username=actor.username, action="user.force_logout", target=user.username,
        detail=f"强制下线（结束 {count} 个会话）", now=now,
    )  # fmt: skip
    session.commit()
    return count
