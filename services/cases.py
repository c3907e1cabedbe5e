"""Case use cases (受理 → 限期办理 → 公示反馈 → 跟踪监督): each call owns one transaction.

``accept_case`` registers a concern with a gap-free case number; ``apply_action`` runs every
later step through one mechanism (role → scope → version → state machine → fields → event).
Time (``now``) and the clock rules are parameters; nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db.models import Case, CaseEvent, Category, GridCell, User
from db.queries.access import sees_case, sees_cell
from db.queries.cases import CaseDetail, case_detail
from db.queries.escalations import escalation_level
from domain.deadlines import (
    ClockRules,
    draft_deadline,
    end_of,
    extend_after_pause,
    handling_working_days,
    pauses_of,
    reopened_deadline,
    response_due,
)
from domain.errors import (
    CaseError,
    CaseNotFound,
    PermissionDenied,
    StaleCase,
    ValidationFailed,
)
from domain.roles import Actor, PageKey, action_refusal, can_act_on, can_open
from domain.validation import (
    CORRECTABLE_FIELDS,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_NOTE,
    CaseDraft,
    normalize_phone,
    phone_error,
    validate_case,
)
from domain.workflow import (
    CHANNEL_LABELS,
    FINISH_LEVEL_REQUIRED,
    FIRST_RESPONSE_ACTIONS,
    Action,
    CaseStatus,
    Channel,
    HandlingType,
    Level,
    NotifyMethod,
    Satisfaction,
    TransitionError,
    finish_level,
    next_status,
)
from services.case_events import (
    assignee_error,
    check_scope,
    new_event,
    record_audit,
    record_change,
)
from services.case_numbers import allocate_case_seq, case_number, ensure_counter_row
from services.case_steps import ActionContext, Handler, Step, choice_field, note_field, text_field
from services.escalation import ESCALATION_HANDLERS

__all__ = [
    "CaseError",
    "CaseNotFound",
    "PermissionDenied",
    "StaleCase",
    "TransitionError",
    "ValidationFailed",
    "accept_case",
    "add_accepted_case",
    "apply_action",
    "draft_reference_errors",
    "open_case",
]

# ---------------------------------------------------------------------------------------------
# 受理: accept a case


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
    assert draft.channel and draft.handling_type and draft.accepted_at  # validated by the caller
    deadline = draft_deadline(draft, rules=rules)
    external_no = draft.external_no.strip() or None
    external_due = end_of(draft.external_due_date) if draft.external_due_date else None
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
        external_no=external_no,
        external_due_at=external_due,
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
    if external_no or external_due:
        data["external_no"] = external_no
        data["external_due_at"] = external_due.isoformat(sep=" ") if external_due else None
    data.update(extra_data or {})
    session.add(
        new_event(case, actor, now, Action.ACCEPT, None, CaseStatus.ACCEPTED.value, note, data)
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
    elif cell is not None and not sees_cell(actor, cell):
        errors["grid_cell_id"] = (
            "只能登记您负责网格内的民情"
            if actor.sees_community(cell.community_id)
            else "只能登记本社区的民情，所选网格属于其他社区"
        )
    if draft.category_id is not None:
        category = session.get(Category, draft.category_id)
        if category is None or not category.is_active:
            errors["category_id"] = "所选类别不存在或已停用"
    assignee_message = assignee_error(session, draft.assignee_id)
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
        if repeat_of is None or not sees_case(actor, repeat_of):
            errors["repeat_of_id"] = "关联的原案件不存在"
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    assert cell is not None and draft.accepted_at is not None  # validated above

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


def _start(ctx: ActionContext) -> Step:
    return Step(note_field(ctx.fields))


def _request_materials(ctx: ActionContext) -> Step:
    materials = text_field(ctx.fields, "materials", "需补充的材料", required=True, limit=MAX_NOTE)
    step = Step(materials, {"materials": materials})
    record_change(ctx.case, "paused_at", ctx.now, step.data)
    return step


def _materials_received(ctx: ActionContext) -> Step:
    step = Step(note_field(ctx.fields))
    if ctx.case.paused_at is not None and ctx.case.deadline_at is not None:
        record_change(
            ctx.case,
            "deadline_at",
            extend_after_pause(ctx.case.deadline_at, ctx.case.paused_at, ctx.now),
            step.data,
        )
    step.data["paused_from"] = ctx.case.paused_at
    record_change(ctx.case, "paused_at", None, step.data)
    return step


def _return(ctx: ActionContext) -> Step:
    reason = text_field(ctx.fields, "reason", "退回理由", required=True, limit=MAX_NOTE)
    step = Step(reason)
    record_change(ctx.case, "return_reason", reason, step.data)
    record_change(ctx.case, "paused_at", None, step.data)
    return step


def _finish(ctx: ActionContext) -> Step:
    result = text_field(ctx.fields, "result", "办理结果", required=True, limit=MAX_DESCRIPTION)
    chosen = (
        choice_field(ctx.fields, "level", "化解层级", Level) if ctx.fields.get("level") else None
    )
    level = finish_level(chosen, escalation_level(ctx.session, ctx.case.id), ctx.case.status)
    if level is None:
        raise ValidationFailed({"level": FINISH_LEVEL_REQUIRED})
    # Read before changing anything: a query would flush the changes (one version bump each).
    days = handling_working_days(
        ctx.case.accepted_at, ctx.now, pauses=_pauses(ctx.session, ctx.case.id)
    )
    step = Step(result)
    record_change(ctx.case, "result", result, step.data)
    record_change(ctx.case, "resolved_level", level.value, step.data)
    record_change(ctx.case, "finished_at", ctx.now, step.data)
    record_change(ctx.case, "handling_working_days", days, step.data)
    return step


def _pauses(session: Session, case_id: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """The case's closed 补办 waits, from its timeline."""
    steps = session.execute(
        select(CaseEvent.action, CaseEvent.at)
        .where(
            CaseEvent.case_id == case_id,
            CaseEvent.action.in_([Action.REQUEST_MATERIALS.value, Action.MATERIALS_RECEIVED.value]),
        )
        .order_by(CaseEvent.id)
    ).tuples()
    return pauses_of(steps)


def _notify(ctx: ActionContext) -> Step:
    method = choice_field(ctx.fields, "method", "反馈方式", NotifyMethod)
    step = Step(note_field(ctx.fields), {"method": method.value})
    record_change(ctx.case, "notify_method", method.value, step.data)
    record_change(ctx.case, "notified_at", ctx.now, step.data)
    return step


def _follow_up(ctx: ActionContext) -> Step:
    satisfaction = choice_field(ctx.fields, "satisfaction", "满意度", Satisfaction)
    required = satisfaction is Satisfaction.DISSATISFIED
    note = note_field(ctx.fields, required=required, label="不满意的原因")
    step = Step(note, {"satisfaction": satisfaction.value})
    record_change(ctx.case, "satisfaction", satisfaction.value, step.data)
    record_change(ctx.case, "followed_up_at", ctx.now, step.data)
    if required:
        # 不满意 reopens the case: it is no longer finished and gets a fresh standard limit.
        record_change(ctx.case, "finished_at", None, step.data)
        record_change(ctx.case, "handling_working_days", None, step.data)
        record_change(ctx.case, "resolved_level", None, step.data)
        record_change(
            ctx.case,
            "deadline_at",
            reopened_deadline(ctx.now, urgent=ctx.case.is_urgent, rules=ctx.rules),
            step.data,
        )
    return step


def _archive(ctx: ActionContext) -> Step:
    return Step(note_field(ctx.fields))


def _merge(ctx: ActionContext) -> Step:
    number = str(ctx.fields.get("target_case_no") or "").strip().upper()
    target = ctx.session.scalar(select(Case).where(Case.case_no == number)) if number else None
    if target is None or target.id == ctx.case.id or not sees_case(ctx.actor, target):
        raise ValidationFailed({"target_case_no": "请填写要合并到的另一案件编号"})
    return Step(
        note_field(ctx.fields), {"merged_into": target.case_no, "merged_into_id": target.id}
    )


def _remind(ctx: ActionContext) -> Step:
    return Step(
        note_field(ctx.fields, required=True, label="催办内容"),
        {"assignee_id": ctx.case.assignee_id},
    )


def _reassign(ctx: ActionContext) -> Step:
    raw = ctx.fields.get("assignee_id")
    assignee_id = int(raw) if raw not in (None, "") else None
    message = (
        "请选择新的承办人" if assignee_id is None else assignee_error(ctx.session, assignee_id)
    )
    if message:
        raise ValidationFailed({"assignee_id": message})
    if assignee_id == ctx.case.assignee_id:
        raise ValidationFailed({"assignee_id": "新承办人与当前承办人相同"})
    step = Step(note_field(ctx.fields))
    record_change(ctx.case, "assignee_id", assignee_id, step.data)
    return step


def _note_only(ctx: ActionContext) -> Step:
    return Step(note_field(ctx.fields, required=True, label="备注内容"))


def _correct(ctx: ActionContext) -> Step:
    name = str(ctx.fields.get("field") or "")
    if name not in CORRECTABLE_FIELDS:
        raise ValidationFailed({"field": "请选择要更正的字段"})
    reason = note_field(ctx.fields, required=True, label="更正原因")
    raw = ctx.fields.get("value")
    value: Any
    old_label: str | None = None
    new_label: str | None = None
    if name == "channel":
        value = choice_field(ctx.fields, "value", "来源渠道", Channel).value
        old_label, new_label = CHANNEL_LABELS[Channel(ctx.case.channel)], Channel(value).label
    elif name == "category_id":
        category = ctx.session.get(Category, int(raw)) if raw not in (None, "") else None
        if category is None or not category.is_active:
            raise ValidationFailed({"value": "请选择有效的类别"})
        value = category.id
        old = ctx.session.get(Category, ctx.case.category_id)
        old_label, new_label = (old.name if old else None), category.name
    elif name == "grid_cell_id":
        cell = ctx.session.get(GridCell, int(raw)) if raw not in (None, "") else None
        if cell is None or not sees_cell(ctx.actor, cell):
            raise ValidationFailed({"value": "请选择有效的网格"})
        value = cell.id
        old_cell = ctx.session.get(GridCell, ctx.case.grid_cell_id)
        old_label, new_label = (old_cell.name if old_cell else None), cell.name
    elif name == "description":
        value = str(raw or "").strip()
        if len(value) < 5:
            raise ValidationFailed({"value": "诉求内容太短，请至少写 5 个字"})
        if len(value) > MAX_DESCRIPTION:
            raise ValidationFailed({"value": f"诉求内容不能超过 {MAX_DESCRIPTION} 字"})
    elif name == "reporter_name":
        value = str(raw or "").strip() or None
        if value is None and not ctx.case.is_anonymous:
            raise ValidationFailed({"value": "请填写反映人姓名"})
        if value is not None and len(value) > MAX_NAME:
            raise ValidationFailed({"value": f"姓名不能超过 {MAX_NAME} 字"})
    else:
        text = str(raw or "").strip()
        message = phone_error(text) if text else None
        if message or (not text and not ctx.case.is_anonymous):
            raise ValidationFailed({"value": message or "请填写联系电话"})
        value = normalize_phone(text) if text else None
    old_value = getattr(ctx.case, name)
    if old_value == value:
        raise ValidationFailed({"value": "新值与原值相同，无需更正"})
    data: dict[str, Any] = {"field": name, "old": old_value, "new": value}
    if old_label is not None or new_label is not None:
        data.update({"old_label": old_label, "new_label": new_label})
    setattr(ctx.case, name, value)
    if name == "grid_cell_id":
        new_cell = ctx.session.get(GridCell, value)
        assert new_cell is not None
        ctx.case.community_id = new_cell.community_id
    return Step(reason, data)


HANDLERS: dict[Action, Handler] = {
    Action.START: _start,
    Action.REQUEST_MATERIALS: _request_materials,
    Action.MATERIALS_RECEIVED: _materials_received,
    **ESCALATION_HANDLERS,
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
        if not can_act_on(actor.role, act, case.status):
            raise PermissionDenied(action_refusal(actor.role, act, case.status))
        check_scope(session, actor, case, now, f"执行「{act.label}」")
        if case.version != expected_version:
            message, version = _stale_message(session, case.id)
            raise StaleCase(message, version)
        transition = next_status(case.status, act, fields.get("satisfaction"))
        step = HANDLERS[act](ActionContext(session, case, actor, now, rules, fields))
        from_status = case.status
        case.status = transition.to_status.value
        if act in FIRST_RESPONSE_ACTIONS and case.first_response_at is None:
            case.first_response_at = now
        case.updated_at = now
        session.add(
            new_event(
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


def open_case(
    session: Session,
    *,
    case_id: int,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    reveal_personal: bool = False,
) -> CaseDetail:
    """Open the case page: ``db.queries.cases.case_detail`` with its requests audited.

    A request for a case outside the actor's grid cells is recorded and refused; a role that
    may see personal data and asks to (``reveal_personal``) has the full view recorded.
    """
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound("案件不存在")
    check_scope(session, actor, case, now, "查看")
    if reveal_personal and actor.may_reveal_personal_data:
        record_audit(
            session, actor, "personal_data.view", case.case_no, "查看反映人完整姓名和电话", now
        )
    return case_detail(
        session,
        case_id=case_id,
        actor=actor,
        now=now,
        rules=rules,
        reveal_personal=reveal_personal,
    )
