"""审计日志: who did what, when, to which record — from case events, logins and audit entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from db.models import AuditEntry, Case, CaseEvent, LoginEvent, User
from db.queries.access import community_filters
from domain.roles import Actor
from domain.workflow import Action

LOGIN_LABELS = {
    "success": "登录成功",
    "failure": "登录失败",
    "locked": "账户锁定",
    "logout": "退出登录",
}
AUDIT_LABELS = {
    "user.create": "新建用户",
    "user.update": "修改用户",
    "user.reset_password": "重置密码",
    "user.change_password": "修改密码",
    "user.first_admin": "初始化管理员",
    "personal_data.view": "查看个人信息",
    "scope.refused": "越权访问被拒绝",
    "export": "导出",
}
KINDS = {"case": "案件操作", "login": "登录", "admin": "管理与安全"}


@dataclass(frozen=True)
class AuditRow:
    """One line of the audit log (``username`` shown as 「姓名（用户名）」)."""

    at: dt.datetime
    username: str
    kind: str
    action: str
    target: str
    detail: str


def _action_label(action: str) -> str:
    return Action(action).label if action in Action.__members__.values() else action


def _by_people(column: Any, actor: Actor) -> list[ColumnElement[bool]]:
    if actor.community_id is None and not actor.lacks_unit:
        return []
    users = select(User.username).where(*community_filters(actor, User.community_id))
    return [column.in_(users)]


def _case_rows(
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    username: str | None,
    limit: int,
    actor: Actor,
) -> list[AuditRow]:
    stmt = (
        select(CaseEvent.at, User.username, CaseEvent.action, Case.case_no, CaseEvent.note)
        .join(Case, Case.id == CaseEvent.case_id)
        .outerjoin(User, User.id == CaseEvent.actor_id)
        .where(CaseEvent.at >= start, CaseEvent.at < end)
        .where(*community_filters(actor, Case.community_id))
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
        .limit(limit)
    )
    if username:
        stmt = stmt.where(User.username == username)
    return [
        AuditRow(at, user or "系统", KINDS["case"], _action_label(action), case_no, note or "")
        for at, user, action, case_no, note in session.execute(stmt)
    ]


def _login_rows(
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    username: str | None,
    limit: int,
    actor: Actor,
) -> list[AuditRow]:
    stmt = (
        select(LoginEvent)
        .where(LoginEvent.at >= start, LoginEvent.at < end)
        .where(*_by_people(LoginEvent.username, actor))
        .order_by(LoginEvent.at.desc(), LoginEvent.id.desc())
        .limit(limit)
    )
    if username:
        stmt = stmt.where(LoginEvent.username == username)
    return [
        AuditRow(
            e.at,
            e.username,
            KINDS["login"],
            LOGIN_LABELS.get(e.outcome, e.outcome),
            e.username,
            e.detail or "",
        )
        for e in session.scalars(stmt)
    ]


def _admin_rows(
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    username: str | None,
    limit: int,
    actor: Actor,
) -> list[AuditRow]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.at >= start, AuditEntry.at < end)
        .where(*_by_people(AuditEntry.username, actor))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    if username:
        stmt = stmt.where(AuditEntry.username == username)
    return [
        AuditRow(
            e.at,
            e.username,
            KINDS["admin"],
            AUDIT_LABELS.get(e.action, e.action),
            e.target or "",
            e.detail or "",
        )
        for e in session.scalars(stmt)
    ]


def audit_log(
    session: Session,
    *,
    start: dt.datetime,
    end: dt.datetime,
    username: str | None = None,
    kinds: frozenset[str] = frozenset(KINDS),
    limit: int = 1000,
    actor: Actor,
) -> list[AuditRow]:
    """The newest ``limit`` audit rows in ``[start, end)``, newest first.

    For a 社区 ``actor``: case events of the 社区's cases, and logins and audit entries of the
    社区's own users (the 街道 and the admin see all).
    """
    readers = {"case": _case_rows, "login": _login_rows, "admin": _admin_rows}
    rows = [
        row
        for kind, read in readers.items()
        if kind in kinds
        for row in read(session, start, end, username, limit, actor)
    ]
    rows.sort(key=lambda r: r.at, reverse=True)
    names = person_labels(session)
    return [replace(r, username=names.get(r.username, r.username)) for r in rows[:limit]]


def person_labels(session: Session) -> dict[str, str]:
    """Each username as people know its owner: 「姓名（用户名）」 (the username alone if unnamed)."""
    return {
        username: f"{name}（{username}）" if name else username
        for username, name in session.execute(select(User.username, User.display_name))
    }
