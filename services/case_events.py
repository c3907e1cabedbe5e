"""What every write to a case shares: its event, a recorded field change, the scope check.

``services.cases`` (受理, every action) and ``services.deliberation`` (三议) append their
events and record their changes through these, so the timeline reads the same for both.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session

from db.models import AuditEntry, Case, CaseEvent, User
from db.queries.access import REFUSED, refusal
from domain.errors import OutOfScope
from domain.roles import Actor, Role
from domain.workflow import Action

__all__ = ["assignee_error", "check_scope", "new_event", "record_audit", "record_change"]


def _json(data: dict[str, Any]) -> str | None:
    if not data:
        return None
    return json.dumps(data, ensure_ascii=False, default=str, sort_keys=True)


def new_event(
    case: Case,
    actor: Actor,
    now: dt.datetime,
    action: Action,
    from_status: str | None,
    to_status: str | None,
    note: str | None,
    data: dict[str, Any],
) -> CaseEvent:
    """The timeline entry of one action on ``case`` (``data`` stored as sorted JSON)."""
    return CaseEvent(
        case_id=case.id,
        actor_id=actor.user_id,
        at=now,
        action=action.value,
        from_status=from_status,
        to_status=to_status,
        note=note or None,
        data=_json(data),
    )


def record_change(case: Case, name: str, value: Any, data: dict[str, Any]) -> None:
    """Set ``case.<name>`` and note the old and new value in the event's ``data`` if it changed."""
    old = getattr(case, name)
    if old != value:
        data.setdefault("changes", {})[name] = {"old": old, "new": value}
    setattr(case, name, value)


def check_scope(session: Session, actor: Actor, case: Case, now: dt.datetime, doing: str) -> None:
    """Refuse (``OutOfScope``) and record a request for a case outside the actor's 社区 or cells.

    ``doing`` says what was asked (「查看」, 「执行「办结」」); the refusal is committed on its own,
    after the caller's pending changes are rolled back.
    """
    reason = refusal(actor, community_id=case.community_id, grid_cell_id=case.grid_cell_id)
    if reason is None:
        return
    case_no = case.case_no
    session.rollback()
    record_audit(session, actor, REFUSED, case_no, f"试图{doing}范围外的案件：{reason}", now)
    raise OutOfScope(reason, case_no)


def record_refusal(
    session: Session, actor: Actor, refused: OutOfScope, doing: str, now: dt.datetime
) -> None:
    """Record a refused out-of-scope request (not of a case: a report, an import) in the audit log."""
    record_audit(
        session, actor, REFUSED, refused.target, f"试图{doing}范围外的记录：{refused}", now
    )


def assignee_error(session: Session, assignee_id: int | None) -> str | None:
    """Why ``assignee_id`` cannot take cases (inactive, unknown, a viewer), else None."""
    if assignee_id is None:
        return None
    user = session.get(User, assignee_id)
    if user is None or not user.is_active or user.role == Role.VIEWER:
        return "请选择有效的承办人"
    return None


def record_audit(
    session: Session, actor: Actor, action: str, target: str, detail: str, now: dt.datetime
) -> None:
    """Record a security-relevant read or refusal in its own small transaction."""
    session.add(
        AuditEntry(at=now, username=actor.username, action=action, target=target, detail=detail)
    )
    session.commit()
