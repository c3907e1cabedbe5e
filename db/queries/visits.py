"""走访 as the visit page reads them: the latest visits, 走访覆盖率 per cell, a cell's households."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Case, Community, GridCell, Household, Visit
from db.queries.access import cell_filters, refusal_of_cell, unit_scope
from db.queries.dashboard_cells import cell_coverage
from db.queries.predicates import in_period
from db.queries.territory import cell_rows
from domain.anonymise import mask_free_text
from domain.kpis import Period, Ratio
from domain.roles import Actor
from domain.validation import VisitDraft, mask_name


def household_place(household: Household, *, masked: bool) -> str:
    """「楼栋单元室（户主）」, the head's name masked for roles without personal data."""
    where = "".join(p for p in (household.building, household.unit, household.room) if p)
    head = mask_name(household.head_name) if masked else household.head_name
    return f"{where}（{head}）"


def _notes(notes: str | None, household: Household | None, *, masked: bool) -> str:
    """The visit's notes; masked like the head beside them (phones, IDs, the head's name)."""
    if not masked:
        return notes or ""
    return mask_free_text(notes, (household.head_name if household is not None else None,))


@dataclass(frozen=True)
class VisitRow:
    """A visit as the list shows it (the household head and notes masked without personal data)."""

    id: int
    visited_at: dt.datetime
    community: str
    cell: str
    place: str
    visitors: str
    people_met: int
    notes: str
    case_nos: tuple[str, ...]
    case_ids: tuple[int, ...]


def _visit_cases(session: Session, visit_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """Visit id → (case id, case number) of the concerns found on it, in case order."""
    cases: dict[int, list[tuple[int, str]]] = {}
    if not visit_ids:
        return cases
    for visit_id, case_id, case_no in session.execute(
        select(Case.visit_id, Case.id, Case.case_no)
        .where(Case.visit_id.in_(visit_ids))
        .order_by(Case.id)
    ).tuples():
        if visit_id is not None:
            cases.setdefault(visit_id, []).append((case_id, case_no))
    return cases


def list_visits(
    session: Session,
    *,
    actor: Actor,
    period: Period | None = None,
    grid_cell_id: int | None = None,
    limit: int = 100,
) -> list[VisitRow]:
    """The latest visits the actor may see (their cells only for a grid worker), newest first."""
    stmt = (
        select(Visit, GridCell.name, Community.name, Household)
        .join(GridCell, GridCell.id == Visit.grid_cell_id)
        .join(Community, Community.id == GridCell.community_id)
        .outerjoin(Household, Household.id == Visit.household_id)
        .order_by(Visit.visited_at.desc(), Visit.id.desc())
        .limit(limit)
    )
    if period is not None:
        stmt = stmt.where(in_period(Visit.visited_at, period))
    if grid_cell_id is not None:
        stmt = stmt.where(Visit.grid_cell_id == grid_cell_id)
    stmt = stmt.where(*cell_filters(actor, Visit.grid_cell_id))
    rows = session.execute(stmt).tuples().all()
    cases = _visit_cases(session, [v.id for v, *_ in rows])
    masked = not actor.sees_personal_data
    return [
        VisitRow(
            id=v.id,
            visited_at=v.visited_at,
            community=community,
            cell=cell,
            place=household_place(household, masked=masked)
            if household is not None
            else v.building or "",
            visitors=v.visitors,
            people_met=v.people_met,
            notes=_notes(v.notes, household, masked=masked),
            case_nos=tuple(no for _, no in cases.get(v.id, [])),
            case_ids=tuple(cid for cid, _ in cases.get(v.id, [])),
        )
        for v, cell, community, household in rows
    ]


@dataclass(frozen=True)
class CellCoverage:
    """走访覆盖率 of one grid cell: households visited in the period / households."""

    cell_id: int
    community: str
    cell: str
    visits: int
    coverage: Ratio


def visit_coverage_by_cell(session: Session, *, actor: Actor, period: Period) -> list[CellCoverage]:
    """走访覆盖率 per grid cell the actor may see (the dashboard's figure, cell by cell)."""
    cells = cell_rows(session, actor=actor)
    households, visited = cell_coverage(session, period=period, scope=unit_scope(actor))
    visits = dict(
        session.execute(
            select(Visit.grid_cell_id, func.count())
            .where(in_period(Visit.visited_at, period))
            .group_by(Visit.grid_cell_id)
        )
        .tuples()
        .all()
    )
    return [
        CellCoverage(
            cell_id=c.id,
            community=c.community,
            cell=c.name,
            visits=int(visits.get(c.id, 0)),
            coverage=Ratio(visited.get(c.id, 0), int(households.get(c.id, 0))),
        )
        for c in cells
    ]


def visited_household_ids(session: Session, *, period: Period, cell_ids: Iterable[int]) -> set[int]:
    """Households of these cells visited at least once in the period."""
    ids = sorted(cell_ids)
    if not ids:
        return set()
    return set(
        session.scalars(
            select(Household.id).where(
                Household.grid_cell_id.in_(ids),
                select(Visit.id)
                .where(Visit.household_id == Household.id, in_period(Visit.visited_at, period))
                .exists(),
            )
        )
    )


def households_of_cell(
    session: Session, *, grid_cell_id: int, limit: int | None = None
) -> list[Household]:
    """The households of one cell in building, unit, room order."""
    stmt = (
        select(Household)
        .where(Household.grid_cell_id == grid_cell_id)
        .order_by(Household.building, Household.unit, Household.room, Household.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def household_choices(
    session: Session, *, grid_cell_id: int, actor: Actor, limit: int = 2000
) -> dict[int, str]:
    """Households of a cell the actor may see, as id → 「楼栋单元室（户主）」."""
    if refusal_of_cell(session, actor=actor, grid_cell_id=grid_cell_id) is not None:
        return {}
    masked = not actor.sees_personal_data
    households = households_of_cell(session, grid_cell_id=grid_cell_id, limit=limit)
    return {h.id: household_place(h, masked=masked) for h in households}


def visit_as_draft(session: Session, *, visit_id: int, actor: Actor) -> VisitDraft | None:
    """A saved visit as the correction form starts it (None: unknown or outside the actor's cells)."""
    visit = session.scalar(
        select(Visit).where(Visit.id == visit_id, *cell_filters(actor, Visit.grid_cell_id))
    )
    if visit is None:
        return None
    return VisitDraft(
        grid_cell_id=visit.grid_cell_id,
        visited_at=visit.visited_at,
        visitors=visit.visitors,
        people_met=visit.people_met,
        household_id=visit.household_id,
        building=visit.building or "",
        notes=visit.notes or "",
    )
