"""审计日志: who did what, when, to which record — from case events, logins and audit entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, TypeVar

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


_Logged = TypeVar("_Logged", LoginEvent, AuditEntry)


def _logged(
    session: Session,
    model: type[_Logged],
    start: dt.datetime,
    end: dt.datetime,
    username: str | None,
    limit: int,
    actor: Actor,
) -> list[_Logged]:
    """The newest ``limit`` login events or audit entries in ``[start, end)`` the actor may see."""
    stmt = (
        select(model)
        .where(model.at >= start, model.at < end)
        .where(*_by_people(model.username, actor))
        .order_by(model.at.desc(), model.id.desc())
        .limit(limit)
    )
    if username:
        stmt = stmt.where(model.username == username)
    return list(session.scalars(stmt))


def _login_row(e: LoginEvent) -> AuditRow:
    label = LOGIN_LABELS.get(e.outcome, e.outcome)
    return AuditRow(e.at, e.username, KINDS["login"], label, e.username, e.detail or "")


def _admin_row(e: AuditEntry) -> AuditRow:
    label = AUDIT_LABELS.get(e.action, e.action)
    return AuditRow(e.at, e.username, KINDS["admin"], label, e.target or "", e.detail or "")


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
    rows: list[AuditRow] = []
    if "case" in kinds:
        rows += _case_rows(session, start, end, username, limit, actor)
    if "login" in kinds:
        logins = _logged(session, LoginEvent, start, end, username, limit, actor)
        rows += [_login_row(e) for e in logins]
    if "admin" in kinds:
        entries = _logged(session, AuditEntry, start, end, username, limit, actor)
        rows += [_admin_row(e) for e in entries]
    rows.sort(key=lambda r: r.at, reverse=True)
    names = person_labels(session)
    return [replace(r, username=names.get(r.username, r.username)) for r in rows[:limit]]


def person_labels(session: Session) -> dict[str, str]:
    """Each username as people know its owner: 「姓名（用户名）」 (the username alone if unnamed)."""
    return {
        username: f"{name}（{username}）" if name else username
        for username, name in session.execute(select(User.username, User.display_name))
    }
