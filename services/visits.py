"""走访: record a home visit and the concerns found on it, list visits, household coverage.

``record_visit`` owns one transaction: the visit and every concern found (each a case with
channel 入户走访 linked by ``cases.visit_id``) are committed together or not at all. Case
numbers come from ``services.cases``' gap-free counter; nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.dashboard_cache import clear_dashboard_cache
from db.models import Case, Category, Community, GridCell, Household, User, Visit
from domain.deadlines import ClockRules
from domain.kpis import Period, Ratio
from domain.roles import Actor, PageKey, can_open
from domain.validation import (
    CaseDraft,
    VisitDraft,
    mask_name,
    validate_case,
    validate_visit,
)
from domain.workflow import Channel
from services.cases import (
    PermissionDenied,
    ValidationFailed,
    _assignee_error,
    add_accepted_case,
    ensure_counter_row,
)

__all__ = [
    "CellCoverage",
    "ConcernDraft",
    "PermissionDenied",
    "ValidationFailed",
    "VisitRow",
    "concern_field",
    "household_choices",
    "list_visits",
    "record_visit",
    "visit_coverage_by_cell",
    "visitor_default",
]

MAX_CONCERNS = 10


@dataclass
class ConcernDraft:
    """A concern found on a visit; it becomes a case accepted at the visit's time."""

    category_id: int | None
    handling_type: str | None
    description: str
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    promised_date: dt.date | None = None
    urgent: bool = False
    assignee_id: int | None = None


def concern_field(index: int, name: str) -> str:
    """The error key of field ``name`` of the ``index``-th concern (0-based)."""
    return f"concerns.{index}.{name}"


def _case_draft(concern: ConcernDraft, visit: VisitDraft) -> CaseDraft:
    return CaseDraft(
        channel=Channel.HOME_VISIT.value,
        category_id=concern.category_id,
        handling_type=concern.handling_type,
        grid_cell_id=visit.grid_cell_id,
        description=concern.description,
        accepted_at=visit.visited_at,
        reporter_name=concern.reporter_name,
        reporter_phone=concern.reporter_phone,
        anonymous=concern.anonymous,
        promised_date=concern.promised_date,
        urgent=concern.urgent,
        assignee_id=concern.assignee_id,
    )


def _visit_errors(
    session: Session,
    draft: VisitDraft,
    concerns: Sequence[ConcernDraft],
    actor: Actor,
    now: dt.datetime,
) -> dict[str, str]:
    errors = validate_visit(draft, now)
    cell = session.get(GridCell, draft.grid_cell_id) if draft.grid_cell_id is not None else None
    if draft.grid_cell_id is not None and cell is None:
        errors["grid_cell_id"] = "所选网格不存在"
    elif cell is not None and not actor.sees_cell(cell.id):
        errors["grid_cell_id"] = "只能记录您负责网格内的走访"
    if draft.household_id is not None:
        household = session.get(Household, draft.household_id)
        if household is None or (cell is not None and household.grid_cell_id != cell.id):
            errors["household_id"] = "所选住户不在该网格内"
    if len(concerns) > MAX_CONCERNS:
        errors["concerns"] = f"一次走访最多登记 {MAX_CONCERNS} 条问题"
    categories = {
        cid: active for cid, active in session.execute(select(Category.id, Category.is_active))
    }
    for i, concern in enumerate(concerns):
        found = validate_case(_case_draft(concern, draft), now)
        # The visit's own fields already carry these messages.
        for shared in ("grid_cell_id", "accepted_at", "channel"):
            found.pop(shared, None)
        if concern.category_id is not None and not categories.get(concern.category_id):
            found["category_id"] = "所选类别不存在或已停用"
        message = _assignee_error(session, concern.assignee_id)
        if message:
            found["assignee_id"] = message
        errors.update({concern_field(i, name): text for name, text in found.items()})
    return errors


def _new_case(
    session: Session,
    *,
    draft: CaseDraft,
    cell: GridCell,
    visit: Visit,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
) -> Case:
    """Add one validated concern as a case of the visit, inside the caller's transaction."""
    return add_accepted_case(
        session,
        draft=replace(draft, channel=Channel.HOME_VISIT.value),
        cell=cell,
        actor=actor,
        now=now,
        rules=rules,
        household_id=visit.household_id,
        visit_id=visit.id,
        note="入户走访发现",
        extra_data={"visit_id": visit.id},
    )


def record_visit(
    session: Session,
    *,
    draft: VisitDraft,
    concerns: Sequence[ConcernDraft] = (),
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
) -> tuple[Visit, list[Case]]:
    """走访: save the visit and its concerns (each a case) in one transaction.

    Raises ``ValidationFailed`` (field → Chinese message; concern fields are keyed by
    ``concern_field``) or ``PermissionDenied``; in either case nothing is written.
    """
    if not can_open(actor.role, PageKey.VISITS):
        raise PermissionDenied("您的角色不能记录走访")
    concerns = [c for c in concerns if c.description.strip() or c.category_id is not None]
    errors = _visit_errors(session, draft, concerns, actor, now)
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    cell = session.get(GridCell, draft.grid_cell_id)
    assert cell is not None
    if concerns:
        # Creates the year's counter row in its own short transaction (before anything of ours).
        ensure_counter_row(session, draft.visited_at.year)
    try:
        visit = Visit(
            grid_cell_id=cell.id,
            household_id=draft.household_id,
            building=draft.building.strip() or None,
            visited_at=draft.visited_at,
            visitors=draft.visitors.strip(),
            people_met=int(draft.people_met or 0),
            notes=draft.notes.strip() or None,
            recorded_by_id=actor.user_id,
        )
        session.add(visit)
        session.flush()
        cases = [
            _new_case(
                session,
                draft=_case_draft(concern, draft),
                cell=cell,
                visit=visit,
                actor=actor,
                now=now,
                rules=rules,
            )
            for concern in concerns
        ]
        session.commit()
    except BaseException:
        session.rollback()
        raise
    clear_dashboard_cache()
    return visit, cases


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class VisitRow:
    """A visit as the list shows it (the household head masked for roles without personal data)."""

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


def _place(household: Household | None, building: str | None, *, masked: bool) -> str:
    if household is None:
        return building or ""
    where = "".join(p for p in (household.building, household.unit, household.room) if p)
    head = mask_name(household.head_name) if masked else household.head_name
    return f"{where}（{head}）"


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
        stmt = stmt.where(Visit.visited_at >= period.start, Visit.visited_at < period.end)
    if grid_cell_id is not None:
        stmt = stmt.where(Visit.grid_cell_id == grid_cell_id)
    if actor.grid_cell_ids is not None:
        stmt = stmt.where(Visit.grid_cell_id.in_(sorted(actor.grid_cell_ids)))
    rows = session.execute(stmt).all()
    ids = [v.id for v, *_ in rows]
    cases: dict[int, list[tuple[int, str]]] = {}
    if ids:
        for visit_id, case_id, case_no in session.execute(
            select(Case.visit_id, Case.id, Case.case_no)
            .where(Case.visit_id.in_(ids))
            .order_by(Case.id)
        ):
            cases.setdefault(visit_id, []).append((case_id, case_no))
    masked = not actor.sees_personal_data
    return [
        VisitRow(
            id=v.id,
            visited_at=v.visited_at,
            community=community,
            cell=cell,
            place=_place(household, v.building, masked=masked),
            visitors=v.visitors,
            people_met=v.people_met,
            notes=v.notes or "",
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
    """走访覆盖率 per grid cell the actor may see (households visited at least once in the period)."""
    cells_stmt = (
        select(GridCell.id, Community.name, GridCell.name)
        .join(Community, Community.id == GridCell.community_id)
        .order_by(Community.code, GridCell.code)
    )
    if actor.grid_cell_ids is not None:
        cells_stmt = cells_stmt.where(GridCell.id.in_(sorted(actor.grid_cell_ids)))
    cells = session.execute(cells_stmt).all()
    households = dict(
        session.execute(
            select(Household.grid_cell_id, func.count()).group_by(Household.grid_cell_id)
        ).all()
    )
    visited = {
        cid: (int(n), int(hh))
        for cid, n, hh in session.execute(
            select(Visit.grid_cell_id, func.count(), func.count(func.distinct(Visit.household_id)))
            .where(Visit.visited_at >= period.start, Visit.visited_at < period.end)
            .group_by(Visit.grid_cell_id)
        )
    }
    return [
        CellCoverage(
            cell_id=cid,
            community=community,
            cell=name,
            visits=visited.get(cid, (0, 0))[0],
            coverage=Ratio(visited.get(cid, (0, 0))[1], int(households.get(cid, 0))),
        )
        for cid, community, name in cells
    ]


def household_choices(
    session: Session, *, grid_cell_id: int, actor: Actor, limit: int = 2000
) -> dict[int, str]:
    """Households of a cell the actor may see, as id → 「楼栋单元室（户主）」."""
    if not actor.sees_cell(grid_cell_id):
        return {}
    masked = not actor.sees_personal_data
    rows = session.scalars(
        select(Household)
        .where(Household.grid_cell_id == grid_cell_id)
        .order_by(Household.building, Household.unit, Household.room, Household.id)
        .limit(limit)
    )
    return {h.id: _place(h, None, masked=masked) for h in rows}


def visitor_default(session: Session, actor: Actor) -> str:
    """The recording user's name, the visit form's default 走访人."""
    name = session.scalar(select(User.display_name).where(User.id == actor.user_id))
    return name or actor.display_name
