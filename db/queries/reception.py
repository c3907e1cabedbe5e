"""接待日 reads: the sessions, their cases and their cases' outcomes (解决率 of a session).

The outcomes of a session's cases are counted once, by ``session_outcomes``: from
``kpi_reception`` (``db.rollups``) when the narrowing is by territory, else ``COUNT``/``SUM(CASE
…)`` over the cases with the state groups of ``db.queries.predicates``. The 接待日 page and the
书记看板 both read them here, so a session shows the same 解决率 on both (DOMAIN.md §6: 退回件
and merged duplicates are left out of the base).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from db.models import (
    Case,
    Category,
    Community,
    GridCell,
    KpiReception,
    Person,
    ReceptionConcern,
    ReceptionDeputy,
    ReceptionSession,
)
from db.queries.access import case_filters, community_filters
from db.queries.predicates import (
    COUNTS_FOR_RESOLUTION,
    OPEN,
    RESOLVED,
    as_int,
    case_scope,
    count_if,
    day_scope,
    territory_only,
)
from db.queries.scope import Scope
from domain.kpis import Period, Ratio
from domain.reference import PersonKind
from domain.roles import Actor
from domain.validation import reporter_label
from domain.workflow import STATUS_LABELS, CaseStatus


class SessionOutcome(NamedTuple):
    """How the cases raised at one session stand now."""

    cases: int
    open_cases: int
    resolution: Ratio
    """解决率: resolved or answered / cases (退回件 and merged duplicates left out)."""


NO_OUTCOME = SessionOutcome(0, 0, Ratio(0, 0))


def session_outcomes(
    session: Session,
    *,
    sessions: Iterable[ColumnElement[bool]],
    scope: Scope = Scope(),
    grid_cell_ids: frozenset[int] | None = None,
    use_rollups: bool = True,
) -> dict[int, SessionOutcome]:
    """Per session picked by the ``sessions`` filters (on ``reception_sessions``): its cases' outcomes.

    Cases are narrowed by every field of ``scope`` and, when given, to ``grid_cell_ids`` (what
    a grid worker may see).
    """
    picked = list(sessions)
    if use_rollups and territory_only(scope):
        cells = [] if grid_cell_ids is None else [KpiReception.grid_cell_id.in_(grid_cell_ids)]
        rows: Any = session.execute(
            select(
                KpiReception.session_id,
                func.sum(KpiReception.cases),
                func.sum(KpiReception.open_cases),
                func.sum(KpiReception.resolution_base),
                func.sum(KpiReception.resolved),
            )
            .join(ReceptionSession, ReceptionSession.id == KpiReception.session_id)
            .where(*picked, *day_scope(scope, KpiReception), *cells)
            .group_by(KpiReception.session_id)
        )
    else:
        cells = [] if grid_cell_ids is None else [Case.grid_cell_id.in_(grid_cell_ids)]
        rows = session.execute(
            select(
                ReceptionConcern.session_id,
                func.count(),
                count_if(OPEN),
                count_if(COUNTS_FOR_RESOLUTION),
                count_if(RESOLVED),
            )
            .join(Case, Case.id == ReceptionConcern.case_id)
            .join(ReceptionSession, ReceptionSession.id == ReceptionConcern.session_id)
            .where(*picked, *case_scope(scope), *cells)
            .group_by(ReceptionConcern.session_id)
        )
    return {
        sid: SessionOutcome(as_int(n), as_int(open_n), Ratio(as_int(resolved), as_int(base)))
        for sid, n, open_n, base, resolved in rows
    }


# --- the dashboard's 接待日 section ------------------------------------------------------------


@dataclass(frozen=True)
class ReceptionSessionFigures:
    """One 接待日 session held in the period and the outcomes of the cases raised there."""

    session_id: int
    held_at: dt.datetime
    community: str
    place: str
    cases: int
    open_cases: int
    resolution: Ratio
    """解决率 of its cases: resolved or answered / cases (退回件 and merged ones left out)."""


@dataclass(frozen=True)
class ReceptionFigures:
    """接待日 of the period: the sessions held and their cases' outcomes, in total and each."""

    sessions: list[ReceptionSessionFigures]
    cases: int
    open_cases: int
    resolution: Ratio


def reception_figures(
    session: Session, *, period: Period, now: dt.datetime, scope: Scope, use_rollups: bool = True
) -> ReceptionFigures:
    """接待日 sessions held in the period (up to today) and their cases' outcomes.

    Sessions are narrowed by 社区 (a grid cell's scope: the cell's 社区); their cases by every
    field of the scope (``session_outcomes``).
    """
    tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time())
    held = [
        ReceptionSession.held_at >= period.start,
        ReceptionSession.held_at < min(period.end, tomorrow),
    ]
    if scope.community_id is not None:
        held.append(ReceptionSession.community_id == scope.community_id)
    if scope.grid_cell_id is not None:
        community = select(GridCell.community_id).where(GridCell.id == scope.grid_cell_id)
        held.append(ReceptionSession.community_id.in_(community.scalar_subquery()))
    sessions = session.execute(
        select(
            ReceptionSession.id, ReceptionSession.held_at, Community.name, ReceptionSession.place
        )
        .join(Community, Community.id == ReceptionSession.community_id)
        .where(*held)
        .order_by(ReceptionSession.held_at.desc(), ReceptionSession.id.desc())
    ).all()
    outcomes = session_outcomes(session, sessions=held, scope=scope, use_rollups=use_rollups)
    rows = []
    for sid, held_at, community_name, place in sessions:
        out = outcomes.get(sid, NO_OUTCOME)
        rows.append(
            ReceptionSessionFigures(
                sid, held_at, community_name, place, out.cases, out.open_cases, out.resolution
            )
        )
    return ReceptionFigures(
        sessions=rows,
        cases=sum(r.cases for r in rows),
        open_cases=sum(r.open_cases for r in rows),
        resolution=Ratio(
            sum(r.resolution.numerator for r in rows), sum(r.resolution.denominator for r in rows)
        ),
    )


# --- the 接待日 page -------------------------------------------------------------------------


def session_choices(session: Session, *, actor: Actor, limit: int = 50) -> dict[int, str]:
    """Recent reception sessions (of ``actor``'s 社区) as id → 「日期 · 社区 · 地点」, newest first."""
    unit = community_filters(actor, ReceptionSession.community_id)
    rows = session.execute(
        select(
            ReceptionSession.id, ReceptionSession.held_at, Community.name, ReceptionSession.place
        )
        .join(Community, Community.id == ReceptionSession.community_id)
        .where(*unit)
        .order_by(ReceptionSession.held_at.desc(), ReceptionSession.id.desc())
        .limit(limit)
    )
    return {sid: f"{at:%Y-%m-%d %H:%M} · {com} · {place}" for sid, at, com, place in rows}


def deputy_choices(session: Session) -> dict[int, str]:
    """Deputies as id → 「name（title）」."""
    rows = session.execute(
        select(Person.id, Person.name, Person.title)
        .where(Person.kind == PersonKind.DEPUTY.value)
        .order_by(Person.title, Person.name, Person.id)
    )
    return {pid: f"{name}（{title or '代表'}）" for pid, name, title in rows}


@dataclass(frozen=True)
class SessionRow:
    """A reception session with its deputies and its cases' outcomes (no residents' data)."""

    id: int
    held_at: dt.datetime
    community: str
    place: str
    topic: str
    deputies: str
    cases: int
    open_cases: int
    resolved: Ratio
    """解决率 of its cases, as on the 书记看板 (``session_outcomes``)."""


def list_sessions(
    session: Session, *, actor: Actor, start: dt.datetime | None = None, limit: int = 100
) -> list[SessionRow]:
    """Reception sessions, newest first, with the outcomes of the cases the actor may see."""
    stmt = (
        select(ReceptionSession, Community.name)
        .join(Community, Community.id == ReceptionSession.community_id)
        .where(*community_filters(actor, ReceptionSession.community_id))
        .order_by(ReceptionSession.held_at.desc(), ReceptionSession.id.desc())
        .limit(limit)
    )
    if start is not None:
        stmt = stmt.where(ReceptionSession.held_at >= start)
    rows = session.execute(stmt).all()
    ids = [r.id for r, _ in rows]
    deputies: dict[int, list[str]] = {}
    outcomes: dict[int, SessionOutcome] = {}
    if ids:
        for sid, name, title in session.execute(
            select(ReceptionDeputy.session_id, Person.name, Person.title)
            .join(Person, Person.id == ReceptionDeputy.person_id)
            .where(ReceptionDeputy.session_id.in_(ids))
            .order_by(Person.name)
        ):
            deputies.setdefault(sid, []).append(f"{name}（{title or '代表'}）")
        outcomes = session_outcomes(
            session, sessions=[ReceptionSession.id.in_(ids)], grid_cell_ids=actor.grid_cell_ids
        )
    result = []
    for reception, community in rows:
        out = outcomes.get(reception.id, NO_OUTCOME)
        result.append(
            SessionRow(
                id=reception.id,
                held_at=reception.held_at,
                community=community,
                place=reception.place,
                topic=reception.topic or "",
                deputies="、".join(deputies.get(reception.id, [])),
                cases=out.cases,
                open_cases=out.open_cases,
                resolved=out.resolution,
            )
        )
    return result


@dataclass(frozen=True)
class ReceptionCase:
    """A case raised at a session, as the session's list shows it (resident masked)."""

    case_id: int
    case_no: str
    status: str
    category: str
    reporter: str
    description: str


def session_cases(session: Session, *, session_id: int, actor: Actor) -> list[ReceptionCase]:
    """The cases raised at a session that the actor may see; residents' names always masked."""
    rows = session.execute(
        select(Case, Category.name)
        .join(ReceptionConcern, ReceptionConcern.case_id == Case.id)
        .join(Category, Category.id == Case.category_id)
        .where(ReceptionConcern.session_id == session_id, *case_filters(actor))
        .order_by(Case.id)
    ).all()
    return [
        ReceptionCase(
            case_id=case.id,
            case_no=case.case_no,
            status=STATUS_LABELS[CaseStatus(case.status)],
            category=category,
            reporter=reporter_label(case.reporter_name, anonymous=case.is_anonymous),
            description=case.description,
        )
        for case, category in rows
    ]


def count_sessions(session: Session, *, actor: Actor) -> int:
    """How many reception sessions exist (in ``actor``'s 社区)."""
    unit = community_filters(actor, ReceptionSession.community_id)
    stmt = select(func.count()).select_from(ReceptionSession).where(*unit)
    return int(session.scalar(stmt) or 0)
