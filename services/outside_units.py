"""The directory of outside units (区 departments, 上级部门, 12345): an admin adds and edits them.

A unit is never deleted (escalated cases keep theirs); a retired one is no longer offered in
the 上报上级单位 form. Reads are in ``db.queries.escalations``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OutsideUnit
from domain.errors import PermissionDenied, ValidationFailed
from domain.roles import Actor, Role
from domain.workflow import Level
from services.audit import add_entry

OUTSIDE_LEVELS: tuple[Level, ...] = (Level.DISTRICT, Level.HIGHER_DEPARTMENT)
"""The levels an outside unit may have: above the 街道."""

MAX_UNIT_NAME = 60
MAX_CONTACT = 100
MAX_TYPICAL_DAYS = 365


def _errors(
    session: Session, *, unit_id: int | None, name: str, level: str, contact: str, days: object
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "请填写单位名称"
    elif len(name) > MAX_UNIT_NAME:
        errors["name"] = f"单位名称不能超过 {MAX_UNIT_NAME} 字"
    else:
        clash = session.scalar(select(OutsideUnit.id).where(OutsideUnit.name == name))
        if clash is not None and clash != unit_id:
            errors["name"] = f"单位「{name}」已在名录中"
    if level not in {lv.value for lv in OUTSIDE_LEVELS}:
        errors["level"] = "请选择层级（区或上级部门）"
    if len(contact) > MAX_CONTACT:
        errors["contact"] = f"联系方式不能超过 {MAX_CONTACT} 字"
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_TYPICAL_DAYS:
        errors["typical_days"] = f"一般办理时限须为 1 到 {MAX_TYPICAL_DAYS} 个工作日"
    return errors


def save_outside_unit(
    session: Session,
    *,
    actor: Actor,
    name: str,
    level: str,
    contact: str,
    typical_days: object,
    now: dt.datetime,
    unit_id: int | None = None,
    is_active: bool = True,
) -> OutsideUnit:
    """Add a unit (``unit_id`` None) or change one; admin only, recorded in the audit log."""
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("只有管理员可以修改外部单位名录")
    clean, clean_contact = (name or "").strip(), (contact or "").strip()
    errors = _errors(
        session, unit_id=unit_id, name=clean, level=level, contact=clean_contact, days=typical_days
    )
    unit = session.get(OutsideUnit, unit_id) if unit_id is not None else OutsideUnit()
    if unit is None:
        errors["name"] = "该单位不存在"
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    assert unit is not None and isinstance(typical_days, int)
    unit.name, unit.level, unit.contact = clean, level, clean_contact
    unit.typical_days, unit.is_active = typical_days, is_active
    session.add(unit)
    detail = "新增外部单位" if unit_id is None else "修改外部单位"
    add_entry(
        session, username=actor.username, action="outside_unit.save", target=clean,
        detail=detail, now=now,
    )  # fmt: skip
    session.commit()
    return unit
