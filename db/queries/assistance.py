"""帮扶 as the assistance page reads it: the latest records and the totals by kind and group."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.models import Assistance, Community, GridCell, Household
from db.queries.access import cell_filters
from db.queries.predicates import in_period
from domain.anonymise import mask_free_text
from domain.kpis import Period
from domain.reference import (
    AssistanceKind,
    TargetGroup,
    assistance_kind_label,
    target_group_label,
)
from domain.roles import Actor
from domain.validation import AssistanceDraft, mask_name


@dataclass(frozen=True)
class AssistanceRow:
    """An assistance record as the list shows it (beneficiary and notes masked without personal data)."""

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


def _visible(actor: Actor) -> list[ColumnElement[bool]]:
    """The actor's 社区, and a grid worker's cells (``db.queries.access``)."""
    return cell_filters(actor, Assistance.grid_cell_id)


def list_assistance(
    session: Session, *, actor: Actor, period: Period | None = None, limit: int = 100
) -> list[AssistanceRow]:
    """The latest assistance records the actor may see, newest first."""
    stmt = (
        select(Assistance, GridCell.name, Community.name, Household.head_name)
        .join(GridCell, GridCell.id == Assistance.grid_cell_id)
        .join(Community, Community.id == GridCell.community_id)
        .outerjoin(Household, Household.id == Assistance.household_id)
        .order_by(Assistance.given_at.desc(), Assistance.id.desc())
        .limit(limit)
    )
    if period is not None:
        stmt = stmt.where(in_period(Assistance.given_at, period))
    stmt = stmt.where(*_visible(actor))
    masked = not actor.sees_personal_data
    return [
        AssistanceRow(
            id=a.id,
            given_at=a.given_at,
            community=community,
            cell=cell,
            beneficiary=mask_name(a.beneficiary) if masked else a.beneficiary,
            target_group=target_group_label(a.target_group),
            kind=assistance_kind_label(a.kind),
            persons_helped=a.persons_helped,
            value_yuan=None if a.value_yuan is None else Decimal(str(a.value_yuan)),
            helpers=a.helpers,
            notes=mask_free_text(a.notes, (a.beneficiary, head)) if masked else a.notes or "",
        )
        for a, cell, community, head in session.execute(stmt).tuples()
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
        .where(in_period(Assistance.given_at, period))
        .group_by(column)
    )
    found = {
        key: (int(n), int(persons), Decimal(str(value)).quantize(Decimal("0.01")))
        for key, n, persons, value in session.execute(stmt.where(*_visible(actor))).tuples()
    }
    keys = [k for k in order if k in found] + sorted(k for k in found if k not in order)
    return [AssistanceTotal(key, label(key), *found[key]) for key in keys]


def assistance_totals(
    session: Session, *, actor: Actor, period: Period
) -> tuple[list[AssistanceTotal], list[AssistanceTotal]]:
    """Totals in the period by kind and by target group, over the records the actor may see."""
    return (
        _totals(
            session,
            Assistance.kind,
            [k.value for k in AssistanceKind],
            assistance_kind_label,
            period,
            actor,
        ),
        _totals(
            session,
            Assistance.target_group,
            [g.value for g in TargetGroup],
            target_group_label,
            period,
            actor,
        ),
    )


def assistance_as_draft(
    session: Session, *, record_id: int, actor: Actor
) -> AssistanceDraft | None:
    """A saved record as the correction form starts it (None: unknown or outside the actor's cells)."""
    record = session.scalar(select(Assistance).where(Assistance.id == record_id, *_visible(actor)))
    if record is None:
        return None
    return AssistanceDraft(
        grid_cell_id=record.grid_cell_id,
        given_at=record.given_at,
        beneficiary=record.beneficiary,
        target_group=record.target_group,
        kind=record.kind,
        persons_helped=record.persons_helped,
        helpers=record.helpers,
        value_yuan=None if record.value_yuan is None else float(record.value_yuan),
        household_id=record.household_id,
        notes=record.notes or "",
    )
