"""书记看板 case lists: the overdue and escalated cases, a cell's open cases, the open count.

A row carries no personal data: its 诉求摘要 is masked (``domain.anonymise.mask_free_text``:
phones, ID numbers, the case's reporter and household head). 逾期天数 is shown only for a case that is overdue by the
predicate of every other figure (``overdue_at``: open, clock running, deadline passed), so a
补办件 waiting for materials shows none, as on the case page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from db.models import Case, Category, GridCell, Household, KpiOpenDay
from db.queries.predicates import (
    CLOCK_RUNNING,
    OPEN,
    RUNNING_CODES,
    WITH_HIGHER_LEVEL,
    as_int,
    case_scope,
    day_scope,
    overdue_at,
    sum0,
    territory_only,
)
from db.queries.scope import Scope
from domain.anonymise import mask_free_text
from domain.workflow import STATUS_LABELS, CaseStatus

EVERYWHERE = Scope()
"""The whole deployment (街道): no narrowing."""


@dataclass(frozen=True)
class CaseLink:
    """A row of the overdue, escalated or open list, for a link to the case page (no personal data)."""

    case_id: int
    case_no: str
    category: str
    cell: str
    status: str
    accepted_at: dt.datetime
    deadline_at: dt.datetime | None
    escalated_to: str | None
    days_overdue: int | None
    """Whole days past the deadline when the case is overdue now (``overdue_at``), else None."""
    summary: str


def category_names(session: Session) -> dict[int, str]:
    """Every category, id → name."""
    return dict(session.execute(select(Category.id, Category.name)).tuples().all())


def link_select(now: dt.datetime) -> Select[*tuple[Any, ...]]:
    """The columns of a ``CaseLink``; ``late`` is 1 where the case is overdue at ``now``."""
    return (
        select(
            Case.id,
            Case.case_no,
            Case.category_id,
            Case.status,
            Case.accepted_at,
            Case.deadline_at,
            Case.escalated_to,
            Case.description,
            Case.reporter_name,
            Household.head_name,
            GridCell.name.label("cell"),
            case((overdue_at(now), 1), else_=0).label("late"),
        )
        .join(GridCell, GridCell.id == Case.grid_cell_id)
        .outerjoin(Household, Household.id == Case.household_id)
    )


def case_links(session: Session, rows: Iterable[Any], now: dt.datetime) -> list[CaseLink]:
    """``link_select`` rows as ``CaseLink``s."""
    names = category_names(session)
    links = []
    for row in rows:
        late = (now.date() - row.deadline_at.date()).days if row.late else None
        text = mask_free_text(" ".join(row.description.split()), (row.reporter_name, row.head_name))
        links.append(
            CaseLink(
                case_id=row.id,
                case_no=row.case_no,
                category=names.get(row.category_id, ""),
                cell=row.cell,
                status=STATUS_LABELS[CaseStatus(row.status)],
                accepted_at=row.accepted_at,
                deadline_at=row.deadline_at,
                escalated_to=row.escalated_to,
                days_overdue=late,
                summary=text[:30] + ("…" if len(text) > 30 else ""),
            )
        )
    return links


def overdue_cases(
    session: Session, *, now: dt.datetime, scope: Scope, limit: int = 20
) -> list[CaseLink]:
    """逾期: open cases with the clock running past their deadline, longest overdue first.

    One query per clock-running state, each reading the first ``limit`` entries of
    ``ix_cases_status_deadline_id`` in order, merged here: an ``IN`` over the states would fetch
    and sort every overdue case (some 100,000 at 1,000,000 cases).
    """
    rows: list[Any] = []
    for status in RUNNING_CODES:
        stmt = (
            link_select(now)
            .where(Case.status == status, Case.deadline_at < now, *case_scope(scope))
            .order_by(Case.deadline_at, Case.id)
            .limit(limit)
        )
        rows.extend(session.execute(stmt))
    rows.sort(key=lambda row: (row.deadline_at, row.id))
    return case_links(session, rows[:limit], now)


def escalated_cases(
    session: Session, *, now: dt.datetime, scope: Scope, limit: int = 20
) -> list[CaseLink]:
    """已上报: cases with a higher level (the 街道 or an outside unit), the longest waiting first."""
    stmt = (
        link_select(now)
        .where(WITH_HIGHER_LEVEL, *case_scope(scope))
        .order_by(Case.accepted_at, Case.id)
        .limit(limit)
    )
    return case_links(session, session.execute(stmt), now)


def open_cases_of_cell(
    session: Session, *, cell_id: int, now: dt.datetime, limit: int = 20
) -> list[CaseLink]:
    """A grid cell's open cases (paused ones included), the earliest deadline first."""
    stmt = (
        link_select(now)
        .where(OPEN, Case.grid_cell_id == cell_id)
        .order_by(Case.deadline_at, Case.id)
        .limit(limit)
    )
    return case_links(session, session.execute(stmt), now)


def open_case_count(session: Session, *, scope: Scope, use_rollups: bool = True) -> int:
    """在办件数: cases in scope still in an open state (``domain.workflow.OPEN_STATUSES``)."""
    if use_rollups and territory_only(scope):
        return as_int(
            session.scalar(select(sum0(KpiOpenDay.open_cases)).where(*day_scope(scope, KpiOpenDay)))
        )
    return as_int(
        session.scalar(select(func.count()).select_from(Case).where(OPEN, *case_scope(scope)))
    )


def next_deadline(
    session: Session, now: dt.datetime, scope: Scope = EVERYWHERE
) -> dt.datetime | None:
    """The earliest deadline still ahead of ``now`` among open cases with the clock running.

    Until that moment passes no case becomes overdue, so figures taken at ``now`` stay exact.
    """
    return session.scalar(
        select(func.min(Case.deadline_at)).where(
            CLOCK_RUNNING, Case.deadline_at >= now, *case_scope(scope)
        )
    )
