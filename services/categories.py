"""Concern categories (六类别 by default), editable by an admin: add, rename, retire.

A category is never deleted (old cases keep theirs); a retired one is no longer offered at intake.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import Category
from db.seed import ensure_categories
from domain.roles import Actor, Role
from services.audit import add_entry

MAX_NAME = 30


class CategoryError(ValueError):
    """A refused change; the message is Chinese."""


def _check(session: Session, actor: Actor, name: str, *, own_id: int | None = None) -> str:
    if actor.role is not Role.ADMIN:
        raise CategoryError("只有管理员可以修改类别")
    clean = name.strip()
    if not clean:
        raise CategoryError("请填写类别名称")
    if len(clean) > MAX_NAME:
        raise CategoryError(f"类别名称不能超过 {MAX_NAME} 字")
    clash = session.scalar(select(Category.id).where(Category.name == clean))
    if clash is not None and clash != own_id:
        raise CategoryError(f"类别「{clean}」已存在")
    return clean


def ensure_default_categories(session: Session) -> int:
    """Give a database that has no category the six defaults (DOMAIN.md §4); one transaction.

    Returns how many were added: 0 once the table has any row, so an admin's own list (retired
    categories included) is never touched again.
    """
    if session.scalar(select(Category.id).limit(1)) is not None:
        return 0
    try:
        added = len(ensure_categories(session))
        session.commit()
    except IntegrityError:  # another process starting at the same time wrote them first
        session.rollback()
        return 0
    return added


def add_category(session: Session, *, actor: Actor, name: str, now: dt.datetime) -> Category:
    """Add an active category at the end of the list."""
    clean = _check(session, actor, name)
    last = session.scalar(select(func.max(Category.sort_order))) or 0
    category = Category(name=clean, sort_order=last + 1, is_active=True)
    session.add(category)
    add_entry(
        session, username=actor.username, action="category.add", target=clean, detail="新增类别",
        now=now,
    )  # fmt: skip
    session.commit()
    return category


def update_category(
    session: Session,
    *,
    actor: Actor,
    category_id: int,
    name: str,
    is_active: bool,
    now: dt.datetime,
) -> Category:
    """Rename a category or retire/restore it (cases keep their category either way)."""
    category = session.get(Category, category_id)
    if category is None:
        raise CategoryError("类别不存在")
    clean = _check(session, actor, name, own_id=category_id)
    if is_active is False and category.is_active:
        active = session.scalar(
            select(func.count()).select_from(Category).where(Category.is_active.is_(True))
        )
        if (active or 0) <= 1:
            raise CategoryError("至少要保留一个启用的类别")
    changes = []
    if clean != category.name:
        changes.append(f"更名：{category.name} → {clean}")
        category.name = clean
    if is_active != category.is_active:
        changes.append("启用" if is_active else "停用")
        category.is_active = is_active
    if changes:
        add_entry(
            session,
            username=actor.username,
            action="category.update",
            target=clean,
            detail="；".join(changes),
            now=now,
        )
    session.commit()
    return category
