"""Reference data every database needs (categories), and user creation with bcrypt hashes."""

from __future__ import annotations

import datetime as dt

import bcrypt
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Category, User

DEFAULT_CATEGORIES = ("政策咨询", "矛盾纠纷", "困难救助", "环境卫生", "民生项目", "社区事务")


def hash_password(password: str) -> str:
    """A bcrypt hash of ``password`` (the format streamlit-authenticator checks)."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


def check_password(password: str, hashed: str) -> bool:
    """True if ``password`` matches the bcrypt ``hashed``."""
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:
        return False


def ensure_categories(session: Session) -> list[Category]:
    """Create the six default categories if the table is empty; return all categories."""
    existing = session.scalars(select(Category).order_by(Category.sort_order)).all()
    if existing:
        return list(existing)
    made = [Category(name=name, sort_order=i) for i, name in enumerate(DEFAULT_CATEGORIES)]
    session.add_all(made)
    session.flush()
    return made


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: str,
    password_hash: str,
    now: dt.datetime,
    community_id: int | None = None,
    person_id: int | None = None,
    must_change_password: bool = False,
) -> User:
    """Add a user with an already computed bcrypt hash (hashing is slow: callers reuse one)."""
    user = User(
        username=username.lower(),
        display_name=display_name,
        email=f"{username.lower()}@example.invalid",
        password_hash=password_hash,
        role=role,
        community_id=community_id,
        person_id=person_id,
        is_active=True,
        must_change_password=must_change_password,
        failed_logins=0,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user
