"""Accounts as the login gate and the user admin page read them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from db.models import User
from domain.roles import SUBDISTRICT_ROLES, Actor, Role

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


def may_stay_logged_in(session: Session, *, username: str, now: dt.datetime) -> bool:
    """False if the account was disabled or locked since its cookie was issued."""
    user = session.scalar(select(User).where(User.username == username))
    return user is not None and user.is_active and not is_locked(user, now)


def actor_of(session: Session, *, username: str) -> Actor | None:
    """The active user ``username`` as an ``Actor`` (a grid worker scoped to their cells)."""
    user = session.scalar(select(User).where(User.username == username.lower()))
    if user is None or not user.is_active:
        return None
    role = Role(user.role)
    scope = frozenset(c.id for c in user.grid_cells) if role is Role.GRIDWORKER else None
    unit = None if role in SUBDISTRICT_ROLES else user.community_id
    return Actor(user.id, user.username, role, user.display_name, scope, unit)


def needs_first_admin(session: Session) -> bool:
    """True when no user exists yet (a fresh production database)."""
    return not session.scalar(select(func.count()).select_from(User))


@dataclass(frozen=True)
class AccountRow:
    """A user as the admin page lists them (no password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    is_active: bool
    must_change_password: bool
    locked_until: dt.datetime | None
    cell_ids: tuple[int, ...]
    cell_names: tuple[str, ...]


def list_accounts(session: Session) -> list[AccountRow]:
    """Every user by username, for the admin page."""
    users = session.scalars(
        select(User).options(selectinload(User.grid_cells)).order_by(User.username)
    )
    return [
        AccountRow(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            role=Role(u.role),
            is_active=u.is_active,
            must_change_password=u.must_change_password,
            locked_until=u.locked_until,
            cell_ids=tuple(c.id for c in u.grid_cells),
            cell_names=tuple(c.name for c in u.grid_cells),
        )
        for u in users
    ]


def must_change_password(session: Session, *, username: str) -> bool:
    """True if the user still has to replace an initial or reset password."""
    user = session.scalar(select(User).where(User.username == username))
    return bool(user and user.must_change_password)
