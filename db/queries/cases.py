"""案件详情 reads: a case with its timeline and allowed actions, lookups for the case forms.

Plain rows out, personal data masked unless the caller asks to show it (the case page's
request is recorded by ``services.cases.open_case``). Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Case, CaseEvent, Category, GridCell, User
from db.queries.access import case_filters, visible_case
from db.queries.escalations import escalation_level
from domain.deadlines import ClockRules, is_due_soon, is_overdue
from domain.errors import CaseNotFound
from domain.roles import Actor, Role, can_act_on
from domain.validation import (
    CORRECTABLE_FIELDS,
    PERSONAL_FIELDS,
    mask_name,
    mask_phone,
    reporter_label,
)
from domain.workflow import (
    CHANNEL_LABELS,
    HANDLING_LABELS,
    LEVEL_LABELS,
    SATISFACTION_LABELS,
    STATUS_LABELS,
    Action,
    CaseStatus,
    Channel,
    HandlingType,
    Level,
    NotifyMethod,
    Satisfaction,
    allowed_actions,
)

__all__ = [
    "CaseDetail",
    "CaseView",
    "EventView",
    "assignable_users",
    "case_detail",
    "category_choices",
    "escalation_level",
    "find_case_id",
]


@dataclass(frozen=True)
class EventView:
    """One timeline entry, ready to print (personal data already masked for the viewer)."""

    at: dt.datetime
    actor_name: str
    action: str
    action_label: str
    from_label: str
    to_label: str
    note: str
    details: str


@dataclass(frozen=True)
class CaseView:
    """A case's fields for display; names and phones masked unless the actor may see them."""

    id: int
    case_no: str
    version: int
    status: str
    status_label: str
    handling_label: str
    channel_label: str
    category: str
    community: str
    grid_cell: str
    grid_cell_id: int
    description: str
    reporter_name: str
    reporter_phone: str
    is_anonymous: bool
    is_urgent: bool
    first_handler: str
    assignee: str
    assignee_id: int | None
    accepted_at: dt.datetime
    deadline_at: dt.datetime | None
    promised_date: dt.date | None
    response_due_at: dt.datetime | None
    first_response_at: dt.datetime | None
    paused_at: dt.datetime | None
    escalated_to: str | None
    escalated_level: Level | None
    """Where the case was last escalated (the finish form's default 化解层级)."""
    escalation_due_at: dt.datetime | None
    escalation_ref: str | None
    """The outside unit's reference number of a 上报 beyond the 街道."""
    external_no: str | None
    """上级转办: the order number of 12345 or the 街道 (上级工单号)."""
    external_due_at: dt.datetime | None
    """上级转办: the deadline 12345 or the 街道 set (上级期限)."""
    finished_at: dt.datetime | None
    handling_working_days: int | None
    resolved_level: str | None
    result: str | None
    return_reason: str | None
    notified_at: dt.datetime | None
    notify_method: str | None
    followed_up_at: dt.datetime | None
    satisfaction: str | None
    repeat_of: str | None
    repeat_of_id: int | None
    is_overdue: bool
    is_due_soon: bool
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class CaseDetail:
    """A case, its timeline (oldest first) and the actions this actor may take now."""

    case: CaseView
    timeline: list[EventView]
    actions: list[Action]


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {uid: name for uid, name in rows}


def _fmt(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _details(action: str, data: dict[str, Any], names: dict[int, str], masked: bool) -> str:
    """A one-line Chinese summary of an event's ``data`` (masked for roles without PII)."""
    parts: list[str] = []
    if action == Action.CORRECT and "field" in data:
        name = data["field"]
        old, new = data.get("old_label", data.get("old")), data.get("new_label", data.get("new"))
        if masked and name in PERSONAL_FIELDS:
            mask = mask_phone if name == "reporter_phone" else mask_name
            old, new = mask(old), mask(new)
        label = CORRECTABLE_FIELDS.get(name, name)
        return f"{label}：{_fmt(old)} → {_fmt(new)}"
    if "case_no" in data:
        parts.append(f"编号 {data['case_no']}")
    if "deadline_at" in data and action == Action.ACCEPT:
        parts.append(f"办结期限 {str(data['deadline_at'])[:10]}")
    if "repeat_of" in data:
        parts.append(f"重信，关联 {data['repeat_of']}")
    if "level" in data and action == Action.ESCALATE:
        target = LEVEL_LABELS[Level(data["level"])]
        parts.append(
            f"上报至 {target}{('·' + data['department']) if data.get('department') else ''}"
        )
    if "method" in data:
        parts.append(f"方式：{NotifyMethod(data['method']).label}")
    if "satisfaction" in data:
        parts.append(f"满意度：{SATISFACTION_LABELS[Satisfaction(data['satisfaction'])]}")
    if "merged_into" in data:
        parts.append(f"合并至 {data['merged_into']}")
    changes = data.get("changes", {})
    if "assignee_id" in changes:
        old, new = changes["assignee_id"]["old"], changes["assignee_id"]["new"]
        parts.append(f"承办人：{names.get(old, '（无）')} → {names.get(new, '（无）')}")
    if "deadline_at" in changes:
        old, new = changes["deadline_at"]["old"], changes["deadline_at"]["new"]
        parts.append(f"办结期限：{str(old)[:10]} → {str(new)[:10]}")
    if "resolved_level" in changes and changes["resolved_level"]["new"]:
        parts.append(f"化解层级：{LEVEL_LABELS[Level(changes['resolved_level']['new'])]}")
    return "；".join(parts)


def _event_views(session: Session, case_id: int, masked: bool) -> list[EventView]:
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    ).all()
    mentioned: set[int | None] = {e.actor_id for e in events}
    parsed = []
    for e in events:
        data = json.loads(e.data) if e.data else {}
        change = data.get("changes", {}).get("assignee_id")
        if change:
            mentioned.update({change["old"], change["new"]})
        parsed.append((e, data))
    names = _names(session, mentioned)
    views = []
    for e, data in parsed:
        act = Action(e.action)
        views.append(
            EventView(
                at=e.at,
                actor_name=names.get(e.actor_id, "系统") if e.actor_id else "系统",
                action=e.action,
                action_label=act.label,
                from_label=STATUS_LABELS[CaseStatus(e.from_status)] if e.from_status else "",
                to_label=STATUS_LABELS[CaseStatus(e.to_status)] if e.to_status else "",
                note=e.note or "",
                details=_details(e.action, data, names, masked),
            )
        )
    return views


def _case_view(
    session: Session,
    case: Case,
    now: dt.datetime,
    rules: ClockRules,
    *,
    shown: bool,
) -> CaseView:
    names = _names(session, [case.first_handler_id, case.assignee_id])
    cell = session.get(GridCell, case.grid_cell_id)
    category = session.get(Category, case.category_id)
    repeat_no = (
        session.scalar(select(Case.case_no).where(Case.id == case.repeat_of_id))
        if case.repeat_of_id
        else None
    )
    phone = case.reporter_phone if shown else mask_phone(case.reporter_phone)
    return CaseView(
        id=case.id,
        case_no=case.case_no,
        version=case.version,
        status=case.status,
        status_label=STATUS_LABELS[CaseStatus(case.status)],
        handling_label=HANDLING_LABELS[HandlingType(case.handling_type)],
        channel_label=CHANNEL_LABELS[Channel(case.channel)],
        category=category.name if category else "",
        community=cell.community.name if cell else "",
        grid_cell=cell.name if cell else "",
        grid_cell_id=case.grid_cell_id,
        description=case.description,
        reporter_name=reporter_label(case.reporter_name, anonymous=case.is_anonymous, shown=shown),
        reporter_phone=phone or "",
        is_anonymous=case.is_anonymous,
        is_urgent=case.is_urgent,
        first_handler=names.get(case.first_handler_id, ""),
        assignee=names.get(case.assignee_id, "") if case.assignee_id else "",
        assignee_id=case.assignee_id,
        accepted_at=case.accepted_at,
        deadline_at=case.deadline_at,
        promised_date=case.promised_date,
        response_due_at=case.response_due_at,
        first_response_at=case.first_response_at,
        paused_at=case.paused_at,
        escalated_to=case.escalated_to,
        escalated_level=escalation_level(session, case.id),
        escalation_due_at=case.escalation_due_at,
        escalation_ref=case.escalation_ref,
        external_no=case.external_no,
        external_due_at=case.external_due_at,
        finished_at=case.finished_at,
        handling_working_days=case.handling_working_days,
        resolved_level=LEVEL_LABELS[Level(case.resolved_level)] if case.resolved_level else None,
        result=case.result,
        return_reason=case.return_reason,
        notified_at=case.notified_at,
        notify_method=NotifyMethod(case.notify_method).label if case.notify_method else None,
        followed_up_at=case.followed_up_at,
        satisfaction=SATISFACTION_LABELS[Satisfaction(case.satisfaction)]
        if case.satisfaction
        else None,
        repeat_of=repeat_no,
        repeat_of_id=case.repeat_of_id,
        is_overdue=is_overdue(case.status, case.deadline_at, now),
        is_due_soon=is_due_soon(case.status, case.deadline_at, now, rules=rules),
        latitude=case.latitude,
        longitude=case.longitude,
    )


def case_detail(
    session: Session,
    *,
    case_id: int,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    reveal_personal: bool = False,
) -> CaseDetail:
    """A case with its timeline and the actions ``actor`` may take now (scope-checked).

    Residents' names and phones are masked unless ``reveal_personal`` is asked for by a role
    that may reveal them. Raises ``CaseNotFound`` or ``OutOfScope`` (outside the actor's
    社区 or cells); ``services.cases.open_case`` records both requests in the audit log.
    """
    visible_case(session, case_id=case_id, actor=actor)
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound("案件不存在")
    shown = reveal_personal and actor.may_reveal_personal_data
    view = _case_view(session, case, now, rules, shown=shown)
    timeline = _event_views(session, case.id, masked=not shown)
    actions = [a for a in allowed_actions(case.status) if can_act_on(actor.role, a, case.status)]
    return CaseDetail(view, timeline, actions)


def assignable_users(session: Session) -> list[tuple[int, str]]:
    """Active users who can handle cases, as (id, 「name（role）」) for an assignee picker."""
    rows = session.execute(
        select(User.id, User.display_name, User.role)
        .where(User.is_active.is_(True), User.role != Role.VIEWER.value)
        .order_by(User.display_name)
    )
    return [(uid, f"{name}（{Role(role).label}）") for uid, name, role in rows]


def category_choices(session: Session) -> dict[int, str]:
    """Active categories, id → name, in their display order."""
    rows = session.execute(
        select(Category.id, Category.name)
        .where(Category.is_active.is_(True))
        .order_by(Category.sort_order, Category.id)
    ).tuples()
    return {cid: name for cid, name in rows}


def find_case_id(session: Session, *, case_no: str, actor: Actor) -> int | None:
    """The id of the case numbered ``case_no`` (any case, spaces ignored) if ``actor`` sees it."""
    number = re.sub(r"\s+", "", case_no or "").upper()
    if not number:
        return None
    row = session.execute(
        select(Case.id).where(Case.case_no == number, *case_filters(actor))
    ).first()
    if row is None:
        return None
    return int(row.id)
