"""Escalation handlers: 上报上级单位 (an outside unit), 上报街道 (the hand-off), 签收, 退回社区, 回单.

Each is a ``services.case_steps.Handler`` run by ``services.cases.apply_action`` inside its
transaction; ``ESCALATION_HANDLERS`` maps the actions to them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from db.models import Case, OutsideUnit
from domain.deadlines import end_of
from domain.errors import ValidationFailed
from domain.validation import MAX_NAME, MAX_NOTE
from domain.workflow import Action, Level
from services.case_events import record_change
from services.case_steps import (
    ActionContext,
    Handler,
    Step,
    choice_field,
    date_field,
    note_field,
    text_field,
)

__all__ = ["ESCALATION_HANDLERS"]


def _expected_date(fields: dict[str, Any], now: dt.datetime, label: str) -> dt.datetime:
    expected = date_field(fields, "expected_date", label)
    if expected < now.date():
        raise ValidationFailed({"expected_date": f"{label}不能早于今天"})
    return end_of(expected)


def _follow_higher_date(case: Case, due: dt.datetime, data: dict[str, Any]) -> None:
    """A case sent up follows the higher level's answer date when that is later than its own."""
    record_change(case, "escalation_due_at", due, data)
    if case.deadline_at is None or case.deadline_at < due:
        record_change(case, "deadline_at", due, data)


def _outside_target(
    session: Session, fields: dict[str, Any]
) -> tuple[OutsideUnit | None, Level, str]:
    """The outside unit of a 上报上级单位: one of the directory, or a level and a department."""
    raw = fields.get("outside_unit_id")
    if raw not in (None, ""):
        unit = session.get(OutsideUnit, int(raw))
        if unit is None or not unit.is_active:
            raise ValidationFailed({"outside_unit_id": "所选外部单位不存在或已停用"})
        return unit, Level(unit.level), unit.name
    if not fields.get("level"):
        raise ValidationFailed({"outside_unit_id": "请选择上报的外部单位（或填写层级和部门）"})
    level = choice_field(fields, "level", "上报层级", Level)
    if level is Level.COMMUNITY:
        raise ValidationFailed({"level": "上报须选择区或上级部门"})
    if level is Level.SUBDISTRICT:
        raise ValidationFailed({"level": "上报街道请选择「上报街道」，由街道工作人员签收办理"})
    department = str(fields.get("department") or "").strip()
    if level is Level.HIGHER_DEPARTMENT and not department:
        raise ValidationFailed({"department": "请填写上报的部门名称"})
    if len(department) > 50:
        raise ValidationFailed({"department": "部门名称不能超过 50 字"})
    return None, level, department


def _escalate(ctx: ActionContext) -> Step:
    unit, level, department = _outside_target(ctx.session, ctx.fields)
    reference = str(ctx.fields.get("reference_no") or "").strip()
    if len(reference) > 40:
        raise ValidationFailed({"reference_no": "外部单位编号不能超过 40 个字符"})
    due = _expected_date(ctx.fields, ctx.now, "外部单位办理期限")
    target = f"{level.label}·{department}" if department else level.label
    step = Step(note_field(ctx.fields), {"level": level.value, "department": department or None})
    record_change(ctx.case, "escalated_to", target, step.data)
    record_change(ctx.case, "outside_unit_id", unit.id if unit is not None else None, step.data)
    record_change(ctx.case, "escalation_ref", reference or None, step.data)
    _follow_higher_date(ctx.case, due, step.data)
    return step


def _escalate_to_subdistrict(ctx: ActionContext) -> Step:
    due = _expected_date(ctx.fields, ctx.now, "街道预计答复日期")
    step = Step(note_field(ctx.fields), {"level": Level.SUBDISTRICT.value, "department": None})
    record_change(ctx.case, "escalated_to", Level.SUBDISTRICT.label, step.data)
    record_change(ctx.case, "outside_unit_id", None, step.data)
    record_change(ctx.case, "escalation_ref", None, step.data)
    _follow_higher_date(ctx.case, due, step.data)
    return step


def _sign_for(ctx: ActionContext) -> Step:
    return Step(note_field(ctx.fields), {"signed_by": ctx.actor.display_name or ctx.actor.username})


def _hand_back(ctx: ActionContext) -> Step:
    # 上报至 stays as history; the 社区 holds the case again and finishes it at its own level.
    reason = text_field(ctx.fields, "reason", "退回社区的理由", required=True, limit=MAX_NOTE)
    return Step(reason, {"reason": reason, "escalated_to": ctx.case.escalated_to})


def _escalation_answered(ctx: ActionContext) -> Step:
    answer = text_field(ctx.fields, "answer", "回单办理情况", required=True, limit=MAX_NOTE)
    # The 回单 usually arrives the day it is entered; an earlier date may be given.
    answered_on = (
        date_field(ctx.fields, "answered_on", "回单日期")
        if ctx.fields.get("answered_on")
        else ctx.now.date()
    )
    if answered_on > ctx.now.date():
        raise ValidationFailed({"answered_on": "回单日期不能晚于今天"})
    by = text_field(ctx.fields, "answered_by", "回单经办人", required=False, limit=MAX_NAME)
    data = {
        "answer": answer,
        "answered_on": answered_on.isoformat(),
        "answered_by": by or None,
        "escalated_to": ctx.case.escalated_to,
        "reference_no": ctx.case.escalation_ref,
    }
    return Step(answer, data)


ESCALATION_HANDLERS: dict[Action, Handler] = {
    Action.ESCALATE: _escalate,
    Action.ESCALATE_TO_SUBDISTRICT: _escalate_to_subdistrict,
    Action.SIGN_FOR: _sign_for,
    Action.HAND_BACK: _hand_back,
    Action.ESCALATION_ANSWERED: _escalation_answered,
}
"""The handler of each escalation action."""
