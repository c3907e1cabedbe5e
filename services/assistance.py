"""帮扶: record assistance for a beneficiary of a target group (五彩连心卡, 低保户, 特困党员),
list it, and total it by kind and by group.

``record_assistance`` owns one transaction; nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.dashboard_cache import clear_dashboard_cache
from db.models import Assistance, Community, GridCell, Household
from domain.kpis import Period
from domain.reference import (
    ASSISTANCE_KIND_LABELS,
    TARGET_GROUP_LABELS,
    AssistanceKind,
    TargetGroup,
)
from domain.roles import Actor, PageKey, can_open
from domain.validation import AssistanceDraft, mask_name, validate_assistance
from services.cases import PermissionDenied, ValidationFailed

__all__ = [
    "AssistanceRow",
    "AssistanceTotal",
    "PermissionDenied",
    "ValidationFailed",
    "assistance_totals",
    "list_assistance",
    "record_assistance",
]


def record_assistance(
    session: Session, *, draft: AssistanceDraft, actor: Actor, now: dt.datetime
) -> Assistance:
    """帮扶: validate and save one assistance record (a grid worker only in their own cells).

    Raises ``ValidationFailed`` (field → Chinese message) or ``PermissionDenied``; then nothing
    is written.
    """
    if not can_open(actor.role, PageKey.ASSISTANCE):
        raise PermissionDenied("您的角色不能记录帮扶")
    errors = validate_assistance(draft, now)
    cell = session.get(GridCell, draft.grid_cell_id) if draft.grid_cell_id is not None else None
    if draft.grid_cell_id is not None and cell is None:
        errors["grid_cell_id"] = "所选网格不存在"
    elif cell is not None and not actor.sees_cell(cell.id):
        errors["grid_cell_id"] = "只能记录您负责网格内的帮扶"
    household = session.get(Household, draft.household_id) if draft.household_id else None
    if draft.household_id is not None and (
        household is None or (cell is not None and household.grid_cell_id != cell.id)
    ):
        errors["household_id"] = "所选住户不在该网格内"
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    assert cell is not None
    beneficiary = draft.beneficiary.strip() or (household.head_name if household else "")
    try:
        record = Assistance(
            grid_cell_id=cell.id,
            household_id=draft.household_id,
            beneficiary=beneficiary,
            target_group=str(draft.target_group),
            kind=str(draft.kind),
            given_at=draft.given_at,
            persons_helped=int(draft.persons_helped or 0),
            value_yuan=None
            if draft.value_yuan is None
            else Decimal(str(draft.value_yuan)).quantize(Decimal("0.01")),
            helpers=draft.helpers.strip(),
            notes=draft.notes.strip() or None,
            recorded_by_id=actor.user_id,
        )
        session.add(record)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    clear_dashboard_cache()
    return record


def _kind_label(kind: str) -> str:
    try:
        return ASSISTANCE_KIND_LABELS[AssistanceKind(kind)]
    except ValueError:
        return kind


def _group_label(group: str) -> str:
    try:
        target = TargetGroup(group)
    except ValueError:
        return group
    colour = target.colour
    return f"{TARGET_GROUP_LABELS[target]}（{colour}卡）" if colour else TARGET_GROUP_LABELS[target]


@dataclass(frozen=True)
class AssistanceRow:
    """An assistance record as the list shows it (beneficiary masked without personal data)."""

    id: int
    given_at: dt.datetime
    community: str
    cell: str
    beneficiary: str
    target_group: str
    kind: str
    persons_helped: int
    value_yuan: Decimal | None
    helpers: str
    notes: str


def _visible(stmt, actor: Actor):  # type: ignore[no-untyped-def]
    if actor.grid_cell_ids is not None:
        return stmt.where(Assistance.grid_cell_id.in_(sorted(actor.grid_cell_ids)))
    return stmt


def list_assistance(
    session: Session, *, actor: Actor, period: Period | None = None, limit: int = 100
) -> list[AssistanceRow]:
    """The latest assistance records the actor may see, newest first."""
    stmt = (
        select(Assistance, GridCell.name, Community.name)
        .join(GridCell, GridCell.id == Assistance.grid_cell_id)
        .join(Community, Community.id == GridCell.community_id)
        .order_by(Assistance.given_at.desc(), Assistance.id.desc())
        .limit(limit)
    )
    if period is not None:
        stmt = stmt.where(Assistance.given_at >= period.start, Assistance.given_at < period.end)
    stmt = _visible(stmt, actor)
    masked = not actor.sees_personal_data
    return [
        AssistanceRow(
            id=a.id,
            given_at=a.given_at,
            community=community,
            cell=cell,
            beneficiary=mask_name(a.beneficiary) if masked else a.beneficiary,
            target_group=_group_label(a.target_group),
            kind=_kind_label(a.kind),
            persons_helped=a.persons_helped,
            value_yuan=a.value_yuan,
            helpers=a.helpers,
            notes=a.notes or "",
        )
        for a, cell, community in session.execute(stmt)
    ]


@dataclass(frozen=True)
class AssistanceTotal:
    """Totals of one kind or one target group: records, 帮扶人次, value in yuan."""

    key: str
    label: str
    records: int
    persons_helped: int
    value_yuan: Decimal


def _totals(
    session: Session,
    column: InstrumentedAttribute[str],
    order: Sequence[str],
    label: Callable[[str], str],
    period: Period,
    actor: Actor,
) -> list[AssistanceTotal]:
    stmt = (
        select(
            column,
            func.count(),
            func.coalesce(func.sum(Assistance.persons_helped), 0),
            func.coalesce(func.sum(Assistance.value_yuan), 0),
        )
        .where(Assistance.given_at >= period.start, Assistance.given_at < period.end)
        .group_by(column)
    )
    found = {
        key: (int(n), int(persons), Decimal(str(value)).quantize(Decimal("0.01")))
        for key, n, persons, value in session.execute(_visible(stmt, actor))
    }
    keys = [k for k in order if k in found] + sorted(k for k in found if k not in order)
    return [AssistanceTotal(key, label(key), *found[key]) for key in keys]


def assistance_totals(
    session: Session, *, actor: Actor, period: Period
) -> tuple[list[AssistanceTotal], list[AssistanceTotal]]:
    """Totals in the period by kind and by target group, over the records the actor may see."""
    return (
        _totals(
            session, Assistance.kind, [k.value for k in AssistanceKind], _kind_label, period, actor
        ),
        _totals(
            session,
            Assistance.target_group,
            [g.value for g in TargetGroup],
            _group_label,
            period,
            actor,
        ),
    )
