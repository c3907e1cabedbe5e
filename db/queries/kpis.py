"""The KPIs of DOMAIN.md §6 computed in the database: the SQL twin of ``domain.kpis``.

Every number is an aggregate the database evaluates (``COUNT``, ``SUM(CASE WHEN …)``); no
case row is loaded into Python. The expressions are SQLAlchemy Core only, so the same code
runs on SQLite, PostgreSQL and MySQL/MariaDB. State groups come from ``domain.workflow``;
periods are half-open ``[start, end)`` like ``domain.kpis.Period``. A test compares every
figure with the pure functions on the same rows (``tests/test_kpi_queries.py``).

Round trips for a full snapshot: one aggregate over the cases accepted in the period, one
each over cases finished, followed up (回访) and overdue, one over visits (with the
household count as a scalar subquery) and one over assistance records: six in all.

**Rollups.** When the scope is territory only (街道, 社区 or grid cell) and the period runs from
midnight to midnight, the case figures are sums over ``kpi_days`` (``db.rollups``: one row
per day and cell, kept exact in every writing transaction) instead of scans of ``cases``: the
same labelled rows, so the rest is shared. ``use_rollups=False`` forces the scans (tests compare
both with the pure functions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from db.models import Assistance, Case, CaseEvent, Household, KpiDay, KpiOpenDay, Visit
from db.queries.predicates import (
    CLOCK_RUNNING,
    COUNTS_FOR_RESOLUTION,
    OPEN,
    RESOLVED,
    as_int,
    case_scope,
    codes,
    count_if,
    day_scope,
    days_of,
    due_today,
    in_period,
    sum0,
    territory_only,
    territory_scope,
)
from db.queries.scope import Scope
from domain.kpis import AssistanceFacts, CaseFacts, Period, Ratio, VisitFacts
from domain.workflow import (
    ANSWERED_FOLLOW_UPS,
    SATISFIED_ANSWERS,
    Action,
    CaseStatus,
    HandlingType,
    Level,
    Satisfaction,
)


@dataclass(frozen=True)
class KpiSnapshot:
    """Every KPI of one period and scope, each rate with its count (DOMAIN.md §6)."""

    visits: int
    visit_persons: int
    visit_coverage: Ratio
    accepted: int
    resolution: Ratio
    on_time: Ratio
    response: Ratio
    satisfaction: Ratio
    assistance_persons: int
    overdue: int
    mean_handling_days: float | None
    repeat: Ratio
    community_resolution: Ratio


# --- building blocks ----------------------------------------------------------------------


# --- the aggregates -----------------------------------------------------------------------


def _accepted_stmt(period: Period, scope: Scope) -> Select[Any]:
    """受理件数, 解决率, 响应率, 重复信访率 and 社区化解率 over the cases accepted in the period."""
    responded = Case.first_response_at <= Case.response_due_at
    at_community = and_(RESOLVED, Case.resolved_level == Level.COMMUNITY.value)
    return select(
        func.count().label("accepted"),
        count_if(COUNTS_FOR_RESOLUTION).label("resolution_base"),
        count_if(RESOLVED).label("resolved"),
        count_if(responded).label("responded"),
        count_if(Case.is_repeat.is_(True)).label("repeats"),
        count_if(at_community).label("at_community"),
    ).where(in_period(Case.accepted_at, period), *case_scope(scope))


def _finished_stmt(period: Period, scope: Scope) -> Select[Any]:
    """按期办结率 and 平均办理时长 over the cases finished in the period."""
    return select(
        func.count().label("finished"),
        count_if(Case.finished_at <= Case.deadline_at).label("on_time"),
        func.coalesce(func.sum(Case.handling_working_days), 0).label("days"),
        func.count(Case.handling_working_days).label("with_days"),
    ).where(in_period(Case.finished_at, period), *case_scope(scope, by_time=True))


def _followed_up_stmt(period: Period, scope: Scope) -> Select[Any]:
    """满意率 over the follow-up calls in the period that got an answer (未评价 left out)."""
    return select(
        func.count().label("answered"),
        count_if(Case.satisfaction.in_(codes(SATISFIED_ANSWERS))).label("satisfied"),
    ).where(
        in_period(Case.followed_up_at, period),
        Case.satisfaction.in_(codes(ANSWERED_FOLLOW_UPS)),
        *case_scope(scope, by_time=True),
    )


def _overdue_stmt(now: dt.datetime, scope: Scope) -> Select[Any]:
    """逾期件数: open cases with the clock running, past their deadline at ``now``."""
    return (
        select(func.count())
        .select_from(Case)
        .where(CLOCK_RUNNING, Case.deadline_at < now, *case_scope(scope, by_time=True))
    )


def _households_stmt(scope: Scope) -> Select[Any]:
    return (
        select(func.count())
        .select_from(Household)
        .where(*territory_scope(Household.grid_cell_id, scope))
    )


def _visited(period: Period) -> ColumnElement[bool]:
    """The household (of the enclosing query) had a visit in the period."""
    return (
        select(Visit.id)
        .where(Visit.household_id == Household.id, in_period(Visit.visited_at, period))
        .exists()
    )


def _visited_households_stmt(period: Period, scope: Scope) -> Select[Any]:
    """Households of the scope's territory visited at least once in the period.

    One probe of ``ix_visits_household`` per household (a 街道 has thousands) instead of a
    ``COUNT(DISTINCT)`` over every visit of the period (hundreds of thousands in a year). A
    visit belongs to its household's cell (``services.visits`` checks it).
    """
    return (
        select(func.count())
        .select_from(Household)
        .where(*territory_scope(Household.grid_cell_id, scope), _visited(period))
    )


def _visits_stmt(period: Period, scope: Scope) -> Select[Any]:
    """走访次数, 走访人次 and 走访覆盖率 (visited households and all households in scope)."""
    return select(
        func.count().label("visits"),
        func.coalesce(func.sum(Visit.people_met), 0).label("persons"),
        _visited_households_stmt(period, scope).scalar_subquery().label("households_visited"),
        _households_stmt(scope).scalar_subquery().label("households"),
    ).where(in_period(Visit.visited_at, period), *territory_scope(Visit.grid_cell_id, scope))


def _assistance_stmt(period: Period, scope: Scope) -> Select[Any]:
    """帮扶人次 over the assistance records in the period."""
    return select(func.coalesce(func.sum(Assistance.persons_helped), 0)).where(
        in_period(Assistance.given_at, period), *territory_scope(Assistance.grid_cell_id, scope)
    )


# --- the same aggregates over the rollups ---------------------------------------------------


def _whole_days(period: Period) -> bool:
    return period.start.time() == period.end.time() == dt.time(0)


def rollups_cover(period: Period, scope: Scope) -> bool:
    """Whether ``kpi_days`` answers this period and scope's cases exactly (whole days, territory).

    Visits and assistance know only their territory, so for them whole days suffice.
    """
    return _whole_days(period) and territory_only(scope)


def _accepted_rollup(period: Period, scope: Scope) -> Select[Any]:
    """``_accepted_stmt`` as a sum over the rollup rows of the period's days."""
    return select(
        sum0(KpiDay.accepted).label("accepted"),
        sum0(KpiDay.resolution_base).label("resolution_base"),
        sum0(KpiDay.resolved).label("resolved"),
        sum0(KpiDay.responded).label("responded"),
        sum0(KpiDay.repeats).label("repeats"),
        sum0(KpiDay.resolved_at_community).label("at_community"),
    ).where(*days_of(period), *day_scope(scope))


def _finished_rollup(period: Period, scope: Scope) -> Select[Any]:
    return select(
        sum0(KpiDay.finished).label("finished"),
        sum0(KpiDay.finished_on_time).label("on_time"),
        sum0(KpiDay.handling_days).label("days"),
        sum0(KpiDay.finished_with_days).label("with_days"),
    ).where(*days_of(period), *day_scope(scope))


def _followed_up_rollup(period: Period, scope: Scope) -> Select[Any]:
    return select(
        sum0(KpiDay.answered).label("answered"),
        sum0(KpiDay.satisfied).label("satisfied"),
    ).where(*days_of(period), *day_scope(scope))


def _visits_rollup(period: Period, scope: Scope) -> Select[Any]:
    """``_visits_stmt`` with 走访次数 and 走访人次 summed from the rollup rows."""
    return select(
        sum0(KpiDay.visits).label("visits"),
        sum0(KpiDay.visit_persons).label("persons"),
        _visited_households_stmt(period, scope).scalar_subquery().label("households_visited"),
        _households_stmt(scope).scalar_subquery().label("households"),
    ).where(*days_of(period), *day_scope(scope))


def _assistance_rollup(period: Period, scope: Scope) -> Select[Any]:
    return select(sum0(KpiDay.assistance_persons)).where(*days_of(period), *day_scope(scope))


def overdue_count(
    session: Session, *, now: dt.datetime, scope: Scope, use_rollups: bool = True
) -> int:
    """逾期件数 at ``now``: whole past deadline days from the rollup, today's from ``cases``.

    Open cases with the clock running are counted under their deadline's day in
    ``kpi_open_days``; the deadlines of today up to ``now`` are few and read from ``cases``.
    """
    if not (use_rollups and territory_only(scope)):
        return as_int(session.scalar(_overdue_stmt(now, scope)))
    past_days = as_int(
        session.scalar(
            select(sum0(KpiOpenDay.clock_running)).where(
                KpiOpenDay.deadline_day < now.date(), *day_scope(scope, KpiOpenDay)
            )
        )
    )
    today = as_int(session.scalar(select(func.count()).where(*due_today(now, scope))))
    return past_days + today


def _still_waiting(moment: dt.datetime) -> ColumnElement[bool]:
    """The case (of the enclosing query) had a 补办 wait open at ``moment``, from its timeline:
    a 通知补材料 before ``moment`` with no 材料已补齐 after it and before ``moment``."""
    requested, received = aliased(CaseEvent), aliased(CaseEvent)
    answered = select(received.id).where(
        received.case_id == requested.case_id,
        received.action == Action.MATERIALS_RECEIVED.value,
        received.id > requested.id,
        received.at < moment,
    )
    return (
        select(requested.id)
        .where(
            requested.case_id == Case.id,
            requested.action == Action.REQUEST_MATERIALS.value,
            requested.at < moment,
            ~answered.exists(),
        )
        .exists()
    )


def _overdue_as_of_stmt(moment: dt.datetime, scope: Scope) -> Select[Any]:
    """``domain.kpis.overdue_count_as_of`` in SQL: open, clock running, past the deadline at ``moment``."""
    open_then = or_(
        Case.finished_at >= moment,
        and_(Case.finished_at.is_(None), or_(OPEN, Case.updated_at >= moment)),
    )
    running_then = and_(
        or_(Case.paused_at.is_(None), Case.paused_at >= moment), ~_still_waiting(moment)
    )
    return (
        select(func.count())
        .select_from(Case)
        .where(
            Case.accepted_at < moment,
            Case.deadline_at < moment,
            open_then,
            running_then,
            *case_scope(scope),
        )
    )


def overdue_count_as_of(
    session: Session,
    *,
    moment: dt.datetime,
    now: dt.datetime,
    scope: Scope,
    use_rollups: bool = True,
) -> int:
    """逾期件数 as it stood at ``moment`` (a report for a past month: at its end, DOMAIN.md §6).

    ``domain.kpis.overdue_count_as_of`` in SQL, from the cases' finish times, 补办 waits
    (timeline and ``paused_at``) and deadlines. At or after ``now`` it is today's count
    (``overdue_count``, from the rollups).
    """
    if moment >= now:
        return overdue_count(session, now=now, scope=scope, use_rollups=use_rollups)
    return as_int(session.scalar(_overdue_as_of_stmt(moment, scope)))


# --- public API ---------------------------------------------------------------------------


def visited_households_by_cell(
    session: Session, *, period: Period, scope: Scope = Scope()
) -> dict[int, int]:
    """Per grid cell: its households visited at least once in the period."""
    rows = session.execute(
        select(Household.grid_cell_id, func.count())
        .where(*territory_scope(Household.grid_cell_id, scope), _visited(period))
        .group_by(Household.grid_cell_id)
    )
    return {cid: as_int(n) for cid, n in rows}


def household_count(session: Session, scope: Scope = Scope()) -> int:
    """Households in the scope's territory: 走访覆盖率's denominator."""
    return as_int(session.scalar(_households_stmt(scope)))


def earliest_accepted(session: Session, *, scope: Scope = Scope()) -> dt.date | None:
    """The day the scope's earliest case on record was accepted (None: no case yet).

    The first day a period picker must offer: an imported 2011 ledger is reported on like today's.
    """
    first = session.scalar(select(func.min(Case.accepted_at)).where(*case_scope(scope)))
    return first.date() if first is not None else None


@dataclass(frozen=True)
class TerritoryFigures:
    """The figures that depend only on visits, households and assistance (no case)."""

    visits: int
    visit_persons: int
    visit_coverage: Ratio
    assistance_persons: int


def territory_figures(
    session: Session, *, period: Period, scope: Scope = Scope(), use_rollups: bool = True
) -> TerritoryFigures:
    """走访次数, 走访人次, 走访覆盖率 and 帮扶人次 of the scope's territory in the period."""
    statements = (_visits_rollup, _assistance_rollup)
    if not (use_rollups and _whole_days(period)):
        statements = (_visits_stmt, _assistance_stmt)
    vis = session.execute(statements[0](period, scope)).one()
    return TerritoryFigures(
        visits=as_int(vis.visits),
        visit_persons=as_int(vis.persons),
        visit_coverage=Ratio(as_int(vis.households_visited), as_int(vis.households)),
        assistance_persons=as_int(session.scalar(statements[1](period, scope))),
    )


def kpi_snapshot(
    session: Session,
    *,
    period: Period,
    now: dt.datetime,
    scope: Scope = Scope(),
    use_rollups: bool = True,
    territory: TerritoryFigures | None = None,
    overdue_as_of: dt.datetime | None = None,
) -> KpiSnapshot:
    """Every KPI for ``period`` and ``scope``; 逾期件数 is taken at ``now``.

    ``territory``: the visit and assistance figures when the caller already has them (the
    dashboard caches them apart, since a case write does not change them).
    ``overdue_as_of``: take 逾期件数 as it stood then instead (a report: the period's end).
    """
    if use_rollups and rollups_cover(period, scope):
        acc = session.execute(_accepted_rollup(period, scope)).one()
        fin = session.execute(_finished_rollup(period, scope)).one()
        fol = session.execute(_followed_up_rollup(period, scope)).one()
    else:
        acc = session.execute(_accepted_stmt(period, scope)).one()
        fin = session.execute(_finished_stmt(period, scope)).one()
        fol = session.execute(_followed_up_stmt(period, scope)).one()
    overdue = overdue_count_as_of(
        session, moment=overdue_as_of or now, now=now, scope=scope, use_rollups=use_rollups
    )
    if territory is None:
        territory = territory_figures(session, period=period, scope=scope, use_rollups=use_rollups)
    with_days = as_int(fin.with_days)
    return KpiSnapshot(
        visits=territory.visits,
        visit_persons=territory.visit_persons,
        visit_coverage=territory.visit_coverage,
        accepted=as_int(acc.accepted),
        resolution=Ratio(as_int(acc.resolved), as_int(acc.resolution_base)),
        on_time=Ratio(as_int(fin.on_time), as_int(fin.finished)),
        response=Ratio(as_int(acc.responded), as_int(acc.accepted)),
        satisfaction=Ratio(as_int(fol.satisfied), as_int(fol.answered)),
        assistance_persons=territory.assistance_persons,
        overdue=overdue,
        mean_handling_days=as_int(fin.days) / with_days if with_days else None,
        repeat=Ratio(as_int(acc.repeats), as_int(acc.accepted)),
        community_resolution=Ratio(as_int(acc.at_community), as_int(acc.resolved)),
    )


def headline_kpis(
    session: Session, *, period: Period, scope: Scope = Scope()
) -> tuple[int, Ratio, int]:
    """The landing page's three figures: 走访次数, 解决率 and 帮扶人次."""
    if rollups_cover(period, scope):
        row = session.execute(
            select(
                sum0(KpiDay.visits), sum0(KpiDay.resolved), sum0(KpiDay.resolution_base),
                sum0(KpiDay.assistance_persons),
            ).where(*days_of(period), *day_scope(scope))
        ).one()  # fmt: skip
        return as_int(row[0]), Ratio(as_int(row[1]), as_int(row[2])), as_int(row[3])
    visits = as_int(session.execute(_visits_stmt(period, scope)).one().visits)
    acc = session.execute(_accepted_stmt(period, scope)).one()
    helped = as_int(session.scalar(_assistance_stmt(period, scope)))
    return visits, Ratio(as_int(acc.resolved), as_int(acc.resolution_base)), helped


# --- row loaders, for tests only ----------------------------------------------------------


def case_facts(session: Session, scope: Scope = Scope()) -> list[CaseFacts]:
    """Every case in scope as ``CaseFacts`` (loads all rows: for tests comparing with ``domain.kpis``)."""
    rows = session.execute(
        select(
            Case.accepted_at,
            Case.status,
            Case.handling_type,
            Case.deadline_at,
            Case.response_due_at,
            Case.first_response_at,
            Case.finished_at,
            Case.handling_working_days,
            Case.resolved_level,
            Case.is_repeat,
            Case.satisfaction,
            Case.followed_up_at,
            Case.paused_at,
            Case.updated_at,
            Case.id,
        )
        .where(*case_scope(scope))
        .order_by(Case.id)
    )
    waits = _material_waits(session)
    return [
        CaseFacts(
            accepted_at=r.accepted_at,
            status=CaseStatus(r.status),
            handling_type=HandlingType(r.handling_type),
            deadline_at=r.deadline_at,
            response_due_at=r.response_due_at,
            first_response_at=r.first_response_at,
            finished_at=r.finished_at,
            handling_working_days=r.handling_working_days,
            resolved_level=Level(r.resolved_level) if r.resolved_level else None,
            is_repeat=bool(r.is_repeat),
            satisfaction=Satisfaction(r.satisfaction) if r.satisfaction else None,
            followed_up_at=r.followed_up_at,
            paused_at=r.paused_at,
            material_waits=tuple(waits.get(r.id, ())),
            updated_at=r.updated_at,
        )
        for r in rows
    ]


def _material_waits(
    session: Session,
) -> dict[int, list[tuple[dt.datetime, dt.datetime | None]]]:
    """Case id → its 补办 waits (通知补材料, 材料已补齐 or None), from the timeline (tests only)."""
    waits: dict[int, list[tuple[dt.datetime, dt.datetime | None]]] = {}
    steps = session.execute(
        select(CaseEvent.case_id, CaseEvent.action, CaseEvent.at)
        .where(
            CaseEvent.action.in_([Action.REQUEST_MATERIALS.value, Action.MATERIALS_RECEIVED.value])
        )
        .order_by(CaseEvent.case_id, CaseEvent.id)
    ).tuples()
    for case_id, action, at in steps:
        mine = waits.setdefault(case_id, [])
        if action == Action.REQUEST_MATERIALS.value:
            mine.append((at, None))
        elif mine and mine[-1][1] is None:
            mine[-1] = (mine[-1][0], at)
    return waits


def visit_facts(session: Session, scope: Scope = Scope()) -> list[VisitFacts]:
    """Every visit in the scope's territory as ``VisitFacts`` (for tests only)."""
    rows = session.execute(
        select(Visit.visited_at, Visit.people_met, Visit.household_id)
        .where(*territory_scope(Visit.grid_cell_id, scope))
        .order_by(Visit.id)
    )
    return [VisitFacts(r.visited_at, r.people_met, r.household_id) for r in rows]


def assistance_facts(session: Session, scope: Scope = Scope()) -> list[AssistanceFacts]:
    """Every assistance record in the scope's territory as ``AssistanceFacts`` (for tests only)."""
    rows = session.execute(
        select(Assistance.given_at, Assistance.persons_helped)
        .where(*territory_scope(Assistance.grid_cell_id, scope))
        .order_by(Assistance.id)
    )
    return [AssistanceFacts(r.given_at, r.persons_helped) for r in rows]
