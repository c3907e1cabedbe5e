"""书记看板 by grid cell: the map's and ranking's per-cell figures, the map, a cell's panel.

Case figures per cell are sums over ``kpi_days`` / ``kpi_open_days`` when the rollups cover the
scope and period, else grouped scans; 逾期 uses ``overdue_at`` and ``due_today`` like the tiles.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from db.models import (
    Assistance,
    Case,
    Community,
    GridCell,
    GridCollector,
    Household,
    KpiDay,
    KpiOpenDay,
    Person,
    ServicePoint,
    Subdistrict,
    Visit,
)
from db.queries.dashboard_lists import EVERYWHERE, CaseLink, open_cases_of_cell
from db.queries.kpis import (
    KpiSnapshot,
    earliest_accepted,
    kpi_snapshot,
    rollups_cover,
    visited_households_by_cell,
)
from db.queries.predicates import (
    COUNTS_FOR_RESOLUTION,
    OPEN,
    RESOLVED,
    as_int,
    case_scope,
    count_if,
    day_scope,
    days_of,
    due_today,
    in_period,
    overdue_at,
    territory_scope,
)
from db.queries.scope import Scope
from domain.kpis import Period, Ratio
from domain.reference import ServicePointKind


@dataclass(frozen=True)
class CellFigures:
    """A grid cell's measures for the map and the ranking."""

    cell_id: int
    code: str
    name: str
    community: str
    community_id: int
    accepted: int
    resolution: Ratio
    open_cases: int
    overdue: int
    households: int
    visits: int
    coverage: Ratio
    assistance_persons: int

    def measure(self, key: str) -> float | None:
        """The value of a ``MAP_MEASURES`` key (a rate as a percentage, None if undefined)."""
        if key == "resolution":
            rate = self.resolution.rate
            return None if rate is None else round(rate * 100, 1)
        if key == "coverage":
            rate = self.coverage.rate
            return None if rate is None else round(rate * 100, 1)
        return float(getattr(self, key))


MAP_MEASURES: dict[str, str] = {
    "open_cases": "在办件数",
    "overdue": "逾期件数",
    "resolution": "解决率（%）",
    "coverage": "走访覆盖率（%）",
    "assistance_persons": "帮扶人次",
}
"""Measures a map can be coloured by: key → Chinese legend title."""


@dataclass(frozen=True)
class ServicePointView:
    """A service point on the map (admin data)."""

    kind: str
    label: str
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class CellPanel:
    """A clicked grid cell: its KPIs, 片长 and collectors, and its open cases."""

    cell_id: int
    name: str
    community: str
    snapshot: KpiSnapshot
    households: int
    leader: str | None
    leader_title: str | None
    collectors: list[str]
    open_cases: list[CaseLink]
    open_total: int


@dataclass(frozen=True)
class ScopeChoices:
    """The scope selector's options: subdistrict name, communities, cells per community."""

    subdistrict: str
    communities: dict[int, str]
    cells: dict[int, dict[int, str]]
    earliest: dt.date | None = None
    """The earliest case's day in these communities: the custom period's first allowed day."""


def cells_in_scope(scope: Scope) -> list[ColumnElement[bool]]:
    """Filters on ``grid_cells`` for the scope's territory."""
    filters: list[ColumnElement[bool]] = []
    if scope.grid_cell_id is not None:
        filters.append(GridCell.id == scope.grid_cell_id)
    if scope.community_id is not None:
        filters.append(GridCell.community_id == scope.community_id)
    return filters


_CellSums = dict[int, dict[str, int]]
"""Per grid cell: accepted, base, resolved (in the period), open, overdue (now), visits, helped."""


def _cell_sums_rollup(
    session: Session, *, period: Period, now: dt.datetime, scope: Scope
) -> _CellSums:
    """The per-cell figures: the period's days of ``kpi_days``, the open work of
    ``kpi_open_days`` and today's deadlines up to ``now`` from ``cases``."""
    names = ("accepted", "base", "resolved", "visits", "helped")
    sums: _CellSums = defaultdict(lambda: dict.fromkeys((*names, "open", "overdue"), 0))
    for cid, *values in session.execute(
        select(
            KpiDay.grid_cell_id,
            func.sum(KpiDay.accepted),
            func.sum(KpiDay.resolution_base),
            func.sum(KpiDay.resolved),
            func.sum(KpiDay.visits),
            func.sum(KpiDay.assistance_persons),
        )
        .where(*days_of(period), *day_scope(scope))
        .group_by(KpiDay.grid_cell_id)
    ):
        sums[cid].update({name: as_int(v) for name, v in zip(names, values, strict=True)})
    past_due = func.sum(
        case((KpiOpenDay.deadline_day < now.date(), KpiOpenDay.clock_running), else_=0)
    )
    for cid, open_n, late in session.execute(
        select(KpiOpenDay.grid_cell_id, func.sum(KpiOpenDay.open_cases), past_due)
        .where(*day_scope(scope, KpiOpenDay))
        .group_by(KpiOpenDay.grid_cell_id)
    ):
        sums[cid].update(open=as_int(open_n), overdue=as_int(late))
    for cid, late_today in session.execute(
        select(Case.grid_cell_id, func.count())
        .where(*due_today(now, scope))
        .group_by(Case.grid_cell_id)
    ):
        sums[cid]["overdue"] += as_int(late_today)
    return dict(sums)


def _cell_sums_scan(
    session: Session, *, period: Period, now: dt.datetime, scope: Scope
) -> _CellSums:
    """The same per-cell figures from grouped scans of cases, visits and assistance."""
    sums: _CellSums = defaultdict(
        lambda: (
            dict.fromkeys(("accepted", "base", "resolved", "open", "overdue"), 0)
            | {"visits": 0, "helped": 0}
        )
    )
    for cid, n, base, resolved in session.execute(
        select(
            Case.grid_cell_id,
            func.count(),
            count_if(COUNTS_FOR_RESOLUTION),
            count_if(RESOLVED),
        )
        .where(in_period(Case.accepted_at, period), *case_scope(scope))
        .group_by(Case.grid_cell_id)
    ):
        sums[cid].update(accepted=as_int(n), base=as_int(base), resolved=as_int(resolved))
    for cid, n, late in session.execute(
        select(
            Case.grid_cell_id,
            func.count(),
            count_if(overdue_at(now)),
        )
        .where(OPEN, *case_scope(scope))
        .group_by(Case.grid_cell_id)
    ):
        sums[cid].update(open=as_int(n), overdue=as_int(late))
    for cid, n in session.execute(
        select(Visit.grid_cell_id, func.count())
        .where(in_period(Visit.visited_at, period), *territory_scope(Visit.grid_cell_id, scope))
        .group_by(Visit.grid_cell_id)
    ):
        sums[cid]["visits"] = as_int(n)
    for cid, n in session.execute(
        select(Assistance.grid_cell_id, func.sum(Assistance.persons_helped))
        .where(
            in_period(Assistance.given_at, period),
            *territory_scope(Assistance.grid_cell_id, scope),
        )
        .group_by(Assistance.grid_cell_id)
    ):
        sums[cid]["helped"] = as_int(n)
    return dict(sums)


CellCoverage = tuple[dict[int, int], dict[int, int]]
"""Per grid cell: its households, and those visited in the period."""


def cell_coverage(session: Session, *, period: Period, scope: Scope) -> CellCoverage:
    """Households and visited households per grid cell of the scope's territory (走访覆盖率)."""
    households = dict(
        session.execute(
            select(Household.grid_cell_id, func.count())
            .where(*territory_scope(Household.grid_cell_id, scope))
            .group_by(Household.grid_cell_id)
        ).all()
    )
    return households, visited_households_by_cell(session, period=period, scope=scope)


def cell_figures(
    session: Session,
    *,
    period: Period,
    now: dt.datetime,
    scope: Scope,
    use_rollups: bool = True,
    coverage: CellCoverage | None = None,
) -> list[CellFigures]:
    """Per grid cell in scope: 受理件数, 解决率, 在办, 逾期 (at ``now``), 走访覆盖率, 帮扶人次.

    Case figures honour every field of the scope; visits, households and assistance are
    narrowed by territory only, as in ``kpi_snapshot``. ``coverage``: ``cell_coverage`` when
    the caller already has it.
    """
    cells = session.execute(
        select(GridCell.id, GridCell.code, GridCell.name, Community.name, Community.id)
        .join(Community, Community.id == GridCell.community_id)
        .where(*cells_in_scope(scope))
        .order_by(Community.code, GridCell.code)
    ).all()
    by_rollup = use_rollups and rollups_cover(period, scope)
    sums = (_cell_sums_rollup if by_rollup else _cell_sums_scan)(
        session, period=period, now=now, scope=scope
    )
    households, visited = coverage or cell_coverage(session, period=period, scope=scope)
    result = []
    for cid, code, name, community, community_id in cells:
        found = sums.get(cid, {})
        hh = as_int(households.get(cid))
        result.append(
            CellFigures(
                cell_id=cid,
                code=code,
                name=name,
                community=community,
                accepted=found.get("accepted", 0),
                resolution=Ratio(found.get("resolved", 0), found.get("base", 0)),
                open_cases=found.get("open", 0),
                overdue=found.get("overdue", 0),
                households=hh,
                visits=found.get("visits", 0),
                coverage=Ratio(visited.get(cid, 0), hh),
                assistance_persons=found.get("helped", 0),
                community_id=community_id,
            )
        )
    return result


def meets_rank_minimum(accepted: int, resolution: Ratio, *, min_cases: int) -> bool:
    """The ranking minimum (DOMAIN.md §6): at least ``min_cases`` accepted and a 解决率 to rank.

    One rule for grid cells and 社区: a unit with one fast case must not top the list.
    """
    return accepted >= min_cases and resolution.denominator > 0


def rank_order(resolution: Ratio, code: str) -> tuple[float, int, str]:
    """The ranking's sort key: 解决率 high first, then more cases resolved, then the unit code."""
    return (-(resolution.rate or 0.0), -resolution.numerator, code)


def cell_ranking(cells: Iterable[CellFigures], *, min_cases: int) -> list[CellFigures]:
    """Cells ranked by 解决率 (then by cases resolved); cells under ``min_cases`` accepted are left out."""
    eligible = [
        c for c in cells if meets_rank_minimum(c.accepted, c.resolution, min_cases=min_cases)
    ]
    return sorted(eligible, key=lambda c: rank_order(c.resolution, c.code))


def grid_geojson(session: Session, *, scope: Scope = EVERYWHERE) -> dict[str, Any]:
    """The grid cells in scope as a GeoJSON FeatureCollection; each feature's id is the cell id."""
    rows = session.execute(
        select(GridCell.id, GridCell.boundary_geojson)
        .where(*cells_in_scope(scope))
        .order_by(GridCell.id)
    )
    features = [
        {"type": "Feature", "id": cid, "properties": {}, "geometry": json.loads(geometry)}
        for cid, geometry in rows
    ]
    return {"type": "FeatureCollection", "features": features}


def service_points(session: Session, *, scope: Scope = EVERYWHERE) -> list[ServicePointView]:
    """Service points (党员服务站, 卫生站, 警务室 …) of the communities in scope."""
    stmt = select(ServicePoint).order_by(ServicePoint.id)
    if scope.community_id is not None:
        stmt = stmt.where(ServicePoint.community_id == scope.community_id)
    elif scope.grid_cell_id is not None:
        community = select(GridCell.community_id).where(GridCell.id == scope.grid_cell_id)
        stmt = stmt.where(ServicePoint.community_id.in_(community.scalar_subquery()))
    points = []
    for p in session.scalars(stmt):
        try:
            label = ServicePointKind(p.kind).label
        except ValueError:
            label = p.kind
        points.append(ServicePointView(p.kind, label, p.name, p.latitude, p.longitude))
    return points


def scope_choices(session: Session, *, community_id: int | None = None) -> ScopeChoices:
    """Communities and grid cells for the scope selector; ``community_id`` narrows to one 社区."""
    subdistrict = session.scalar(select(Subdistrict.name).order_by(Subdistrict.id)) or "街道"
    stmt = select(Community.id, Community.name).order_by(Community.code)
    if community_id is not None:
        stmt = stmt.where(Community.id == community_id)
    communities = dict(session.execute(stmt).all())
    cells: dict[int, dict[int, str]] = defaultdict(dict)
    for cid, owner, name in session.execute(
        select(GridCell.id, GridCell.community_id, GridCell.name)
        .where(*cells_in_scope(Scope(community_id=community_id)))
        .order_by(GridCell.code)
    ):
        cells[owner][cid] = name
    earliest = earliest_accepted(session, scope=Scope(community_id=community_id))
    return ScopeChoices(subdistrict, communities, dict(cells), earliest)


def cell_panel(
    session: Session, *, cell_id: int, period: Period, now: dt.datetime, limit: int = 20
) -> CellPanel | None:
    """A grid cell's panel: its KPIs (``kpi_snapshot``), 片长, collectors and open cases."""
    cell = session.get(GridCell, cell_id)
    if cell is None:
        return None
    scope = Scope(grid_cell_id=cell_id)
    snapshot = kpi_snapshot(session, period=period, now=now, scope=scope)
    leader = session.get(Person, cell.leader_id) if cell.leader_id else None
    collectors = list(
        session.scalars(
            select(Person.name)
            .join(GridCollector, GridCollector.person_id == Person.id)
            .where(GridCollector.grid_cell_id == cell_id)
            .order_by(Person.name)
        )
    )
    open_total = as_int(
        session.scalar(
            select(func.count()).select_from(Case).where(OPEN, Case.grid_cell_id == cell_id)
        )
    )
    households = as_int(
        session.scalar(
            select(func.count()).select_from(Household).where(Household.grid_cell_id == cell_id)
        )
    )
    return CellPanel(
        cell_id=cell.id,
        name=cell.name,
        community=cell.community.name,
        snapshot=snapshot,
        households=households,
        leader=leader.name if leader else None,
        leader_title=leader.title if leader else None,
        collectors=collectors,
        open_cases=open_cases_of_cell(session, cell_id=cell_id, now=now, limit=limit),
        open_total=open_total,
    )
