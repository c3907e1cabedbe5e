"""Case use cases (受理 → 限期办理 → 公示反馈 → 跟踪监督): each call owns one transaction.

``accept_case`` registers a concern with a gap-free case number; ``apply_action`` runs every
later step through one mechanism (role → scope → version → state machine → fields → event).
Time (``now``) and the clock rules are parameters; nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db.models import AuditEntry, Case, CaseEvent, CaseNumberCounter, Category, GridCell, User
from domain.calendar import china_calendar
from domain.deadlines import (
    ClockRules,
    compute_deadline,
    end_of,
    extend_after_pause,
    handling_working_days,
    is_due_soon,
    is_overdue,
    response_due,
)
from domain.roles import Actor, PageKey, Role, can_act, can_open
from domain.validation import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_NOTE,
    CaseDraft,
    mask_name,
    mask_phone,
    normalize_phone,
    phone_error,
    text_error,
    validate_case,
)
from domain.workflow import (
    CHANNEL_LABELS,
    HANDLING_LABELS,
    LEVEL_LABELS,
    OPEN_STATUSES,
    SATISFACTION_LABELS,
    STATUS_LABELS,
    Action,
    CaseStatus,
    Channel,
    HandlingType,
    Level,
    NotifyMethod,
    Satisfaction,
    TransitionError,
    allowed_actions,
    next_status,
)

__all__ = [
    "CORRECTABLE_FIELDS",
    "FIRST_RESPONSE_ACTIONS",
    "ActionForm",
    "CaseDetail",
    "CaseError",
    "CaseNotFound",
    "CaseView",
    "EventView",
    "PermissionDenied",
    "RepeatCandidate",
    "StaleCase",
    "TransitionError",
    "ValidationFailed",
    "accept_case",
    "action_form",
    "allocate_case_seq",
    "allocate_case_seqs",
    "apply_action",
    "assignable_users",
    "case_detail",
    "case_number",
    "category_choices",
    "deadline_preview",
    "draft_reference_errors",
    "ensure_counter_row",
    "find_case_id",
    "reopened_deadline",
    "repeat_candidates",
    "text_similarity",
]


class CaseError(Exception):
    """A refusal the user should read; ``str(exc)`` is the Chinese message."""


class ValidationFailed(CaseError):
    """Input that cannot be saved: ``errors`` maps each field to its Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = dict(errors)


class PermissionDenied(CaseError):
    """The actor's role or grid scope does not allow this."""


class CaseNotFound(CaseError):
    """No such case (or not visible to this actor)."""


class StaleCase(CaseError):
    """Someone else changed the case since the user loaded it (optimistic locking)."""

    def __init__(self, message: str, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


FIRST_RESPONSE_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.START,
        Action.REQUEST_MATERIALS,
        Action.ESCALATE,
        Action.RETURN,
        Action.FINISH_RESOLVED,
        Action.FINISH_ANSWERED,
        Action.MERGE,
    }
)
"""Actions that count as the first contact or handling (响应) and set ``first_response_at``."""

CORRECTABLE_FIELDS: dict[str, str] = {
    "channel": "来源渠道",
    "category_id": "类别",
    "grid_cell_id": "所属网格",
    "description": "诉求内容",
    "reporter_name": "反映人",
    "reporter_phone": "联系电话",
}
"""Fields a 更正 event may change, with their Chinese labels."""

PERSONAL_FIELDS = frozenset({"reporter_name", "reporter_phone"})

CASE_NO_PATTERN = re.compile(r"^MQ-(\d{4})-(\d{6})$")
REPEAT_WINDOW_DAYS = 30
SIMILAR_WINDOW_DAYS = 90
SIMILAR_POOL = 300
SIMILARITY_THRESHOLD = 0.5
_COUNTER_ATTEMPTS = 5


def case_number(year: int, seq: int) -> str:
    """The printed case number: ``MQ-2026-000123``."""
    return f"MQ-{year:04d}-{seq:06d}"


def _json(data: dict[str, Any]) -> str | None:
    if not data:
        return None
    return json.dumps(data, ensure_ascii=False, default=str, sort_keys=True)


def _event(
    case: Case,
    actor: Actor,
    now: dt.datetime,
    action: Action,
    from_status: str | None,
    to_status: str | None,
    note: str | None,
    data: dict[str, Any],
) -> CaseEvent:
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


# ---------------------------------------------------------------------------------------------
# 受理: accept a case


def deadline_preview(draft: CaseDraft, *, rules: ClockRules) -> dt.datetime | None:
    """The deadline the draft would get, or None while type/date are not yet valid."""
    if not draft.handling_type or draft.handling_type not in HandlingType.__members__.values():
        return None
    try:
        return compute_deadline(
            draft.handling_type,
            draft.accepted_at,
            promised_date=draft.promised_date,
            urgent=draft.urgent,
            rules=rules,
        )
    except ValueError:
        return None


def allocate_case_seq(session: Session, year: int) -> int:
    """Take the next number of ``year`` inside the caller's transaction (row-locked, gap-free)."""
    return allocate_case_seqs(session, year, 1).start


def allocate_case_seqs(session: Session, year: int, count: int) -> range:
    """Take the next ``count`` numbers of ``year`` at once, inside the caller's transaction.

    The UPDATE comes first so that it takes the write lock (SQLite) or the row lock
    (PostgreSQL/MySQL) before anything is read; a rollback of the caller gives the numbers
    back. A block costs one UPDATE whatever its size (the ledger import numbers a chunk so).
    """
    bump = (
        update(CaseNumberCounter)
        .where(CaseNumberCounter.year == year)
        .values(last_seq=CaseNumberCounter.last_seq + count)
        .execution_options(synchronize_session=False)
    )
    for _ in range(_COUNTER_ATTEMPTS):
        if session.execute(bump).rowcount == 1:
            last = int(
                session.scalar(
                    select(CaseNumberCounter.last_seq).where(CaseNumberCounter.year == year)
                )
            )
            return range(last - count + 1, last + 1)
        # First case of the year: create the row (last_seq 0 uses no number) and retry; a
        # concurrent creator makes our INSERT fail, which is fine: the row is there now.
        try:
            with session.begin_nested():
                session.add(CaseNumberCounter(year=year, last_seq=0))
        except IntegrityError:
            pass
    raise RuntimeError(f"无法分配 {year} 年的案件编号")


def ensure_counter_row(session: Session, year: int) -> None:
    """Create ``year``'s counter row in its own short transaction if it is missing.

    Doing this before the numbering transaction keeps MySQL's gap locks out of it (two
    writers that both find no row would otherwise deadlock on the INSERT).
    """
    found = session.scalar(select(CaseNumberCounter.year).where(CaseNumberCounter.year == year))
    if found is not None:
        return
    try:
        session.add(CaseNumberCounter(year=year, last_seq=0))
        session.commit()
    except IntegrityError:
        session.rollback()


def _check_scope(actor: Actor, grid_cell_id: int) -> None:
    if not actor.sees_cell(grid_cell_id):
        raise PermissionDenied("该案件不在您负责的网格内，不能查看或办理")


def _assignee_error(session: Session, assignee_id: int | None) -> str | None:
    if assignee_id is None:
        return None
    user = session.get(User, assignee_id)
    if user is None or not user.is_active or user.role == Role.VIEWER:
        return "请选择有效的承办人"
    return None


def add_accepted_case(
    session: Session,
    *,
    draft: CaseDraft,
    cell: GridCell,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    repeat_of: Case | None = None,
    household_id: int | None = None,
    visit_id: int | None = None,
    note: str | None = None,
    extra_data: dict[str, Any] | None = None,
) -> Case:
    """Add a validated draft as an accepted case with its number, clocks and accept event.

    Runs inside the caller's transaction and does not commit: intake (``accept_case``), a
    visit's concerns and a reception day's concerns all build their cases here. Call
    ``ensure_counter_row`` for the year before the caller's transaction starts.
    """
    assert draft.channel and draft.handling_type  # validated by the caller
    deadline = compute_deadline(
        draft.handling_type,
        draft.accepted_at,
        promised_date=draft.promised_date,
        urgent=draft.urgent,
        rules=rules,
    )
    year = draft.accepted_at.year
    phone = normalize_phone(draft.reporter_phone) if draft.reporter_phone.strip() else None
    case = Case(
        case_no=case_number(year, allocate_case_seq(session, year)),
        channel=draft.channel,
        category_id=draft.category_id,
        handling_type=draft.handling_type,
        status=CaseStatus.ACCEPTED.value,
        is_urgent=draft.urgent,
        community_id=cell.community_id,
        grid_cell_id=cell.id,
        household_id=household_id,
        visit_id=visit_id,
        description=draft.description.strip(),
        reporter_name=None if draft.anonymous else (draft.reporter_name.strip() or None),
        reporter_phone=phone,
        is_anonymous=draft.anonymous,
        latitude=draft.latitude,
        longitude=draft.longitude,
        first_handler_id=actor.user_id,
        assignee_id=draft.assignee_id or actor.user_id,
        accepted_at=draft.accepted_at,
        deadline_at=deadline,
        promised_date=draft.promised_date if draft.handling_type == HandlingType.PROMISED else None,
        response_due_at=response_due(draft.accepted_at, urgent=draft.urgent, rules=rules),
        repeat_of_id=repeat_of.id if repeat_of is not None else None,
        is_repeat=repeat_of is not None,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    data: dict[str, Any] = {
        "case_no": case.case_no,
        "handling_type": draft.handling_type,
        "deadline_at": deadline.isoformat(sep=" "),
    }
    if repeat_of is not None:
        data["repeat_of"] = repeat_of.case_no
    data.update(extra_data or {})
    session.add(
        _event(case, actor, now, Action.ACCEPT, None, CaseStatus.ACCEPTED.value, note, data)
    )
    return case


def draft_reference_errors(
    session: Session, draft: CaseDraft, actor: Actor
) -> tuple[GridCell | None, dict[str, str]]:
    """The draft's grid cell, and what is wrong with the rows it names (field → Chinese message).

    The cell must exist and be one the actor may enter cases in, the category must exist and
    be active, the assignee must be a user who can take cases.
    """
    errors: dict[str, str] = {}
    cell = session.get(GridCell, draft.grid_cell_id) if draft.grid_cell_id is not None else None
    if draft.grid_cell_id is not None and cell is None:
        errors["grid_cell_id"] = "所选网格不存在"
    elif cell is not None and not actor.sees_cell(cell.id):
        errors["grid_cell_id"] = "只能登记您负责网格内的民情"
    if draft.category_id is not None:
        category = session.get(Category, draft.category_id)
        if category is None or not category.is_active:
            errors["category_id"] = "所选类别不存在或已停用"
    assignee_message = _assignee_error(session, draft.assignee_id)
    if assignee_message:
        errors["assignee_id"] = assignee_message
    return cell, errors


def accept_case(
    session: Session,
    *,
    draft: CaseDraft,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
) -> Case:
    """受理: validate the draft, number it gap-free, set its clocks and append the accept event."""
    if not can_open(actor.role, PageKey.INTAKE):
        raise PermissionDenied("您的角色不能登记民情")
    errors = validate_case(draft, now)
    cell, found = draft_reference_errors(session, draft, actor)
    errors.update(found)
    repeat_of: Case | None = None
    if draft.repeat_of_id is not None:
        repeat_of = session.get(Case, draft.repeat_of_id)
        if repeat_of is None or not actor.sees_cell(repeat_of.grid_cell_id):
            errors["repeat_of_id"] = "关联的原案件不存在"
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    assert cell is not None and draft.channel and draft.handling_type  # validated above

    ensure_counter_row(session, draft.accepted_at.year)
    try:
        case = add_accepted_case(
            session, draft=draft, cell=cell, actor=actor, now=now, rules=rules, repeat_of=repeat_of
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return case


# ---------------------------------------------------------------------------------------------
# Every later step: one mechanism, one handler per action


@dataclass
class _Step:
    """What a handler decided: a note for the event and the changed fields for its ``data``."""

    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Session, Case, Actor, dt.datetime, ClockRules, dict[str, Any]], _Step]


def _text(fields: dict[str, Any], key: str, label: str, *, required: bool, limit: int) -> str:
    value = str(fields.get(key) or "").strip()
    message = text_error(value, label=label, required=required, limit=limit)
    if message:
        raise ValidationFailed({key: message})
    return value


def _note(fields: dict[str, Any], *, required: bool = False, label: str = "说明") -> str:
    return _text(fields, "note", label, required=required, limit=MAX_NOTE)


def _date(fields: dict[str, Any], key: str, label: str) -> dt.date:
    value = fields.get(key)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationFailed({key: f"请填写{label}"})


def _choice(fields: dict[str, Any], key: str, label: str, enum: type[Any]) -> Any:
    value = fields.get(key)
    try:
        return enum(value)
    except ValueError:
        raise ValidationFailed({key: f"请选择{label}"}) from None


def _change(case: Case, name: str, value: Any, data: dict[str, Any]) -> None:
    old = getattr(case, name)
    if old != value:
        data.setdefault("changes", {})[name] = {"old": old, "new": value}
    setattr(case, name, value)


def _start(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    return _Step(_note(fields))


def _request_materials(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    materials = _text(fields, "materials", "需补充的材料", required=True, limit=MAX_NOTE)
    step = _Step(materials, {"materials": materials})
    _change(case, "paused_at", now, step.data)
    return step


def _materials_received(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    step = _Step(_note(fields))
    if case.paused_at is not None and case.deadline_at is not None:
        _change(
            case,
            "deadline_at",
            extend_after_pause(case.deadline_at, case.paused_at, now),
            step.data,
        )
    step.data["paused_from"] = case.paused_at
    _change(case, "paused_at", None, step.data)
    return step


def _escalate(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    level = _choice(fields, "level", "上报层级", Level)
    if level is Level.COMMUNITY:
        raise ValidationFailed({"level": "上报须选择街道、区或上级部门"})
    department = str(fields.get("department") or "").strip()
    if level is Level.HIGHER_DEPARTMENT and not department:
        raise ValidationFailed({"department": "请填写上报的部门名称"})
    if len(department) > 50:
        raise ValidationFailed({"department": "部门名称不能超过 50 字"})
    expected = _date(fields, "expected_date", "预计答复日期")
    if expected < now.date():
        raise ValidationFailed({"expected_date": "预计答复日期不能早于今天"})
    target = f"{level.label}·{department}" if department else level.label
    step = _Step(_note(fields), {"level": level.value, "department": department or None})
    _change(case, "escalated_to", target, step.data)
    _change(case, "escalation_due_at", end_of(expected), step.data)
    # A 上报件 follows the higher level's answer date when that is later than its own deadline.
    if case.deadline_at is None or case.deadline_at < end_of(expected):
        _change(case, "deadline_at", end_of(expected), step.data)
    return step


def _escalation_answered(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    answer = _text(fields, "answer", "上级答复内容", required=True, limit=MAX_NOTE)
    return _Step(answer, {"answer": answer, "escalated_to": case.escalated_to})


def _return(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    reason = _text(fields, "reason", "退回理由", required=True, limit=MAX_NOTE)
    step = _Step(reason)
    _change(case, "return_reason", reason, step.data)
    _change(case, "paused_at", None, step.data)
    return step


def _finish(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    result = _text(fields, "result", "办理结果", required=True, limit=MAX_DESCRIPTION)
    level = _choice(fields, "level", "化解层级", Level) if fields.get("level") else Level.COMMUNITY
    step = _Step(result)
    _change(case, "result", result, step.data)
    _change(case, "resolved_level", level.value, step.data)
    _change(case, "finished_at", now, step.data)
    _change(
        case,
        "handling_working_days",
        handling_working_days(case.accepted_at, now),
        step.data,
    )
    return step


def _notify(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    method = _choice(fields, "method", "反馈方式", NotifyMethod)
    step = _Step(_note(fields), {"method": method.value})
    _change(case, "notify_method", method.value, step.data)
    _change(case, "notified_at", now, step.data)
    return step


def _follow_up(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    satisfaction = _choice(fields, "satisfaction", "满意度", Satisfaction)
    required = satisfaction is Satisfaction.DISSATISFIED
    note = _note(fields, required=required, label="不满意的原因")
    step = _Step(note, {"satisfaction": satisfaction.value})
    _change(case, "satisfaction", satisfaction.value, step.data)
    _change(case, "followed_up_at", now, step.data)
    if required:
        # 不满意 reopens the case: it is no longer finished and gets a fresh standard limit.
        _change(case, "finished_at", None, step.data)
        _change(case, "handling_working_days", None, step.data)
        _change(case, "resolved_level", None, step.data)
        _change(
            case,
            "deadline_at",
            reopened_deadline(now, urgent=case.is_urgent, rules=rules),
            step.data,
        )
    return step


def reopened_deadline(now: dt.datetime, *, urgent: bool, rules: ClockRules) -> dt.datetime:
    """A case reopened by 不满意 gets a fresh standard limit from now (urgent: the same day)."""
    if urgent:
        return end_of(now.date())
    return end_of(china_calendar().add_working_days(now.date(), rules.standard_limit_days))


def _archive(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    return _Step(_note(fields))


def _merge(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    number = str(fields.get("target_case_no") or "").strip().upper()
    target = session.scalar(select(Case).where(Case.case_no == number)) if number else None
    if target is None or target.id == case.id or not actor.sees_cell(target.grid_cell_id):
        raise ValidationFailed({"target_case_no": "请填写要合并到的另一案件编号"})
    return _Step(_note(fields), {"merged_into": target.case_no, "merged_into_id": target.id})


def _remind(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    return _Step(_note(fields, required=True, label="催办内容"), {"assignee_id": case.assignee_id})


def _reassign(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    raw = fields.get("assignee_id")
    assignee_id = int(raw) if raw not in (None, "") else None
    message = "请选择新的承办人" if assignee_id is None else _assignee_error(session, assignee_id)
    if message:
        raise ValidationFailed({"assignee_id": message})
    if assignee_id == case.assignee_id:
        raise ValidationFailed({"assignee_id": "新承办人与当前承办人相同"})
    step = _Step(_note(fields))
    _change(case, "assignee_id", assignee_id, step.data)
    return step


def _note_only(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    return _Step(_note(fields, required=True, label="备注内容"))


def _correct(
    session: Session,
    case: Case,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    fields: dict[str, Any],
) -> _Step:
    name = str(fields.get("field") or "")
    if name not in CORRECTABLE_FIELDS:
        raise ValidationFailed({"field": "请选择要更正的字段"})
    reason = _note(fields, required=True, label="更正原因")
    raw = fields.get("value")
    value: Any
    old_label: str | None = None
    new_label: str | None = None
    if name == "channel":
        value = _choice(fields, "value", "来源渠道", Channel).value
        old_label, new_label = CHANNEL_LABELS[Channel(case.channel)], Channel(value).label
    elif name == "category_id":
        category = session.get(Category, int(raw)) if raw not in (None, "") else None
        if category is None or not category.is_active:
            raise ValidationFailed({"value": "请选择有效的类别"})
        value = category.id
        old = session.get(Category, case.category_id)
        old_label, new_label = (old.name if old else None), category.name
    elif name == "grid_cell_id":
        cell = session.get(GridCell, int(raw)) if raw not in (None, "") else None
        if cell is None or not actor.sees_cell(cell.id):
            raise ValidationFailed({"value": "请选择有效的网格"})
        value = cell.id
        old_cell = session.get(GridCell, case.grid_cell_id)
        old_label, new_label = (old_cell.name if old_cell else None), cell.name
    elif name == "description":
        value = str(raw or "").strip()
        if len(value) < 5:
            raise ValidationFailed({"value": "诉求内容太短，请至少写 5 个字"})
        if len(value) > MAX_DESCRIPTION:
            raise ValidationFailed({"value": f"诉求内容不能超过 {MAX_DESCRIPTION} 字"})
    elif name == "reporter_name":
        value = str(raw or "").strip() or None
        if value is None and not case.is_anonymous:
            raise ValidationFailed({"value": "请填写反映人姓名"})
        if value is not None and len(value) > MAX_NAME:
            raise ValidationFailed({"value": f"姓名不能超过 {MAX_NAME} 字"})
    else:
        text = str(raw or "").strip()
        message = phone_error(text) if text else None
        if message or (not text and not case.is_anonymous):
            raise ValidationFailed({"value": message or "请填写联系电话"})
        value = normalize_phone(text) if text else None
    old_value = getattr(case, name)
    if old_value == value:
        raise ValidationFailed({"value": "新值与原值相同，无需更正"})
    data: dict[str, Any] = {"field": name, "old": old_value, "new": value}
    if old_label is not None or new_label is not None:
        data.update({"old_label": old_label, "new_label": new_label})
    setattr(case, name, value)
    if name == "grid_cell_id":
        new_cell = session.get(GridCell, value)
        assert new_cell is not None
        case.community_id = new_cell.community_id
    return _Step(reason, data)


HANDLERS: dict[Action, Handler] = {
    Action.START: _start,
    Action.REQUEST_MATERIALS: _request_materials,
    Action.MATERIALS_RECEIVED: _materials_received,
    Action.ESCALATE: _escalate,
    Action.ESCALATION_ANSWERED: _escalation_answered,
    Action.RETURN: _return,
    Action.FINISH_RESOLVED: _finish,
    Action.FINISH_ANSWERED: _finish,
    Action.NOTIFY: _notify,
    Action.FOLLOW_UP: _follow_up,
    Action.ARCHIVE: _archive,
    Action.MERGE: _merge,
    Action.REMIND: _remind,
    Action.REASSIGN: _reassign,
    Action.NOTE: _note_only,
    Action.CORRECT: _correct,
}


def _stale_message(session: Session, case_id: int) -> tuple[str, int | None]:
    row = session.execute(
        select(CaseEvent.at, User.display_name, Case.version)
        .join(Case, Case.id == CaseEvent.case_id)
        .outerjoin(User, User.id == CaseEvent.actor_id)
        .where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return "该案件刚被他人更新，已为您载入最新状态，请确认后重试", None
    at, name, version = row
    who = name or "他人"
    return (
        f"该案件刚被 {who} 于 {at:%Y-%m-%d %H:%M} 更新，已为您载入最新状态，请确认后重试",
        version,
    )


def apply_action(
    session: Session,
    *,
    case_id: int,
    expected_version: int,
    action: Action | str,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    **fields: Any,
) -> Case:
    """Take one action on a case the user saw at ``expected_version``; append one event.

    Raises ``PermissionDenied`` (role or grid scope), ``StaleCase`` (someone acted first),
    ``TransitionError`` (the state machine refuses) or ``ValidationFailed`` (missing input);
    in every such case nothing is written.
    """
    act = Action(action)
    try:
        case = session.get(Case, case_id)
        if case is None:
            raise CaseNotFound("案件不存在")
        if not can_act(actor.role, act):
            raise PermissionDenied(f"您的角色（{actor.role.label}）不能执行「{act.label}」")
        if not actor.sees_cell(case.grid_cell_id):
            session.rollback()
            _audit(
                session,
                actor,
                "scope.refused",
                case.case_no,
                f"试图对网格范围外的案件执行「{act.label}」",
                now,
            )
        _check_scope(actor, case.grid_cell_id)
        if case.version != expected_version:
            message, version = _stale_message(session, case.id)
            raise StaleCase(message, version)
        transition = next_status(case.status, act, fields.get("satisfaction"))
        step = HANDLERS[act](session, case, actor, now, rules, fields)
        from_status = case.status
        case.status = transition.to_status.value
        if act in FIRST_RESPONSE_ACTIONS and case.first_response_at is None:
            case.first_response_at = now
        case.updated_at = now
        session.add(
            _event(
                case,
                actor,
                now,
                act,
                from_status,
                transition.to_status.value,
                step.note,
                step.data,
            )
        )
        session.flush()
        session.commit()
    except StaleDataError:
        session.rollback()
        message, version = _stale_message(session, case_id)
        session.rollback()
        raise StaleCase(message, version) from None
    except BaseException:
        session.rollback()
        raise
    return case


# ---------------------------------------------------------------------------------------------
# What a page needs to draw an action: its inputs


@dataclass(frozen=True)
class ActionForm:
    """The inputs an action asks for: field name → Chinese label (required ones listed)."""

    action: Action
    inputs: tuple[str, ...]
    required: frozenset[str]


_FORMS: dict[Action, tuple[tuple[str, ...], frozenset[str]]] = {
    Action.START: (("note",), frozenset()),
    Action.REQUEST_MATERIALS: (("materials",), frozenset({"materials"})),
    Action.MATERIALS_RECEIVED: (("note",), frozenset()),
    Action.ESCALATE: (
        ("level", "department", "expected_date", "note"),
        frozenset({"level", "expected_date"}),
    ),
    Action.ESCALATION_ANSWERED: (("answer",), frozenset({"answer"})),
    Action.RETURN: (("reason",), frozenset({"reason"})),
    Action.FINISH_RESOLVED: (("result", "level"), frozenset({"result"})),
    Action.FINISH_ANSWERED: (("result", "level"), frozenset({"result"})),
    Action.NOTIFY: (("method", "note"), frozenset({"method"})),
    Action.FOLLOW_UP: (("satisfaction", "note"), frozenset({"satisfaction"})),
    Action.ARCHIVE: (("note",), frozenset()),
    Action.MERGE: (("target_case_no", "note"), frozenset({"target_case_no"})),
    Action.REMIND: (("note",), frozenset({"note"})),
    Action.REASSIGN: (("assignee_id", "note"), frozenset({"assignee_id"})),
    Action.NOTE: (("note",), frozenset({"note"})),
    Action.CORRECT: (("field", "value", "note"), frozenset({"field", "value", "note"})),
}


def action_form(action: Action | str) -> ActionForm:
    """The inputs a page must ask for before calling ``apply_action`` with ``action``."""
    act = Action(action)
    inputs, required = _FORMS[act]
    return ActionForm(act, inputs, required)


# ---------------------------------------------------------------------------------------------
# Reading: detail view, timeline, assignable users, repeat candidates


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
    escalation_due_at: dt.datetime | None
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
    actor: Actor,
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
    name = case.reporter_name if shown else mask_name(case.reporter_name)
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
        reporter_name="匿名" if case.is_anonymous and not case.reporter_name else (name or ""),
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
        escalation_due_at=case.escalation_due_at,
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
    that may see them; such a view is recorded in the audit log, and so is a refused request
    for a case outside the actor's grid cells.
    """
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound("案件不存在")
    if not actor.sees_cell(case.grid_cell_id):
        _audit(session, actor, "scope.refused", case.case_no, "请求查看网格范围外的案件", now)
    _check_scope(actor, case.grid_cell_id)
    shown = reveal_personal and actor.sees_personal_data
    if shown:
        _audit(session, actor, "personal_data.view", case.case_no, "查看反映人完整姓名和电话", now)
    view = _case_view(session, case, actor, now, rules, shown=shown)
    timeline = _event_views(session, case.id, masked=not shown)
    actions = [a for a in allowed_actions(case.status) if can_act(actor.role, a)]
    return CaseDetail(view, timeline, actions)


def _audit(
    session: Session, actor: Actor, action: str, target: str, detail: str, now: dt.datetime
) -> None:
    """Record a security-relevant read or refusal in its own small transaction."""
    session.add(
        AuditEntry(at=now, username=actor.username, action=action, target=target, detail=detail)
    )
    session.commit()


def assignable_users(session: Session) -> list[tuple[int, str]]:
    """Active users who can handle cases, as (id, 「name（role）」) for an assignee picker."""
    rows = session.execute(
        select(User.id, User.display_name, User.role)
        .where(User.is_active.is_(True), User.role != Role.VIEWER.value)
        .order_by(User.display_name)
    )
    return [(uid, f"{name}（{Role(role).label}）") for uid, name, role in rows]


@dataclass(frozen=True)
class RepeatCandidate:
    """A possibly related earlier case (初信/重信 hint) and why it was found."""

    id: int
    case_no: str
    accepted_at: dt.datetime
    status_label: str
    description: str
    reasons: tuple[str, ...]
    similarity: float


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[\W_]+", "", text.lower())
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def text_similarity(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams of two texts (0 … 1)."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def repeat_candidates(
    session: Session,
    *,
    phone: str | None,
    grid_cell_id: int | None,
    category_id: int | None,
    description: str | None,
    now: dt.datetime,
    limit: int = 10,
    actor: Actor | None = None,
) -> list[RepeatCandidate]:
    """重信 hints: same phone (recent or open), same cell + category (30 days), similar text.

    Each rule reads a bounded, indexed slice of cases; text similarity is computed in Python
    over at most ``SIMILAR_POOL`` recent cases of the same grid cell.
    """
    since = now - dt.timedelta(days=REPEAT_WINDOW_DAYS)
    open_values = [s.value for s in OPEN_STATUSES]
    found: dict[int, tuple[Case, list[str], float]] = {}

    def take(cases: Iterable[Case], reason: str, score: float = 0.0) -> None:
        for case in cases:
            if actor is not None and not actor.sees_cell(case.grid_cell_id):
                continue
            entry = found.setdefault(case.id, (case, [], 0.0))
            if reason not in entry[1]:
                entry[1].append(reason)
            found[case.id] = (entry[0], entry[1], max(entry[2], score))

    number = normalize_phone(phone) if phone else ""
    if phone_error(number) is not None:
        number = number.replace("-", "")  # 138-1234-5678 while typing: still the same mobile
    if number and phone_error(number) is None:
        take(
            session.scalars(
                select(Case)
                .where(
                    Case.reporter_phone == number,
                    or_(Case.accepted_at >= since, Case.status.in_(open_values)),
                )
                .order_by(Case.accepted_at.desc())
                .limit(limit)
            ),
            "同一电话",
        )
    if grid_cell_id is not None and category_id is not None:
        take(
            session.scalars(
                select(Case)
                .where(
                    Case.grid_cell_id == grid_cell_id,
                    Case.accepted_at >= since,
                    Case.category_id == category_id,
                )
                .order_by(Case.accepted_at.desc())
                .limit(limit)
            ),
            "同网格同类别",
        )
    text = (description or "").strip()
    if grid_cell_id is not None and len(text) >= 5:
        pool = session.scalars(
            select(Case)
            .where(
                Case.grid_cell_id == grid_cell_id,
                Case.accepted_at >= now - dt.timedelta(days=SIMILAR_WINDOW_DAYS),
            )
            .order_by(Case.accepted_at.desc())
            .limit(SIMILAR_POOL)
        ).all()
        for case in pool:
            score = text_similarity(text, case.description)
            if score >= SIMILARITY_THRESHOLD:
                take([case], f"内容相似 {score:.0%}", score)
    ranked = sorted(
        found.values(), key=lambda e: (-len(e[1]), -e[2], -e[0].accepted_at.timestamp())
    )
    return [
        RepeatCandidate(
            id=case.id,
            case_no=case.case_no,
            accepted_at=case.accepted_at,
            status_label=STATUS_LABELS[CaseStatus(case.status)],
            description=case.description,
            reasons=tuple(reasons),
            similarity=score,
        )
        for case, reasons, score in ranked[:limit]
    ]


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
    row = session.execute(select(Case.id, Case.grid_cell_id).where(Case.case_no == number)).first()
    if row is None or not actor.sees_cell(row.grid_cell_id):
        return None
    return int(row.id)
