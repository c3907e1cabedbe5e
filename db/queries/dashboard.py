"""书记看板: the secretary's dashboard figures as SQL aggregates, cached exactly.

Every figure is an aggregate evaluated by the database (``COUNT``/``SUM(CASE …)`` grouped by
month, category, channel, handling type, level or grid cell); no case row is loaded into
Python except the short top-N lists. The predicates (解决率's base, finished, clock running)
are those of ``db.queries.kpis``, so every figure equals the pure function of ``domain.kpis``
on the same rows (``tests/test_dashboard_queries.py`` compares them on three backends).

Where the scope is territory only and the period whole days (always, on the page), the case
figures are sums over the rollups of ``db.rollups`` (per day and cell; per day, 社区 and
breakdown group), kept exact in every writing transaction: no aggregate scans the cases. Other
scopes (and a grid cell's breakdowns) scan ``cases`` through the KPI covering indexes.

``live_view`` (tiles, map, ranking) and ``analysis_view`` (trends, breakdowns, lists) are
what the page calls; both go through ``db.dashboard_cache``: a rerun with unchanged data
reads no case, and any committed write (or ``clear_dashboard_cache()``) recomputes.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from db.dashboard_cache import (
    cached,
    clear_dashboard_cache,
    data_fingerprint,
    territory_fingerprint,
)
from db.models import (
    Assistance,
    Case,
    Category,
    Community,
    GridCell,
    GridCollector,
    Household,
    KpiDay,
    KpiDayGroup,
    KpiOpenDay,
    KpiReception,
    Person,
    ReceptionConcern,
    ReceptionSession,
    ServicePoint,
    Subdistrict,
    Visit,
)
from db.queries.kpis import (
    KpiSnapshot,
    Scope,
    TerritoryFigures,
    kpi_snapshot,
    rollups_cover,
    territory_figures,
    visited_households_by_cell,
)
from db.queries.predicates import (
    CLOCK_RUNNING,
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
    sum0,
    territory_only,
    territory_scope,
)
from domain.kpis import Period, Ratio
from domain.reference import ServicePointKind
from domain.workflow import (
    ANSWERED_FOLLOW_UPS,
    CHANNEL_LABELS,
    HANDLING_LABELS,
    LEVEL_LABELS,
    OPEN_STATUSES,
    PAUSED_STATUSES,
    SATISFIED_ANSWERS,
    STATUS_LABELS,
    CaseStatus,
    Channel,
    HandlingType,
    Level,
)

__all__ = [
    "MAP_MEASURES",
    "AnalysisView",
    "Breakdowns",
    "CaseLink",
    "CellFigures",
    "CellPanel",
    "GroupFigures",
    "LiveView",
    "MonthFigures",
    "ReceptionFigures",
    "ReceptionSessionFigures",
    "ScopeChoices",
    "ServicePointView",
    "Tile",
    "analysis_view",
    "breakdowns",
    "case_link",
    "cell_figures",
    "cell_panel",
    "cell_ranking",
    "clear_dashboard_cache",
    "escalated_cases",
    "grid_geojson",
    "live_view",
    "monthly_trend",
    "open_case_count",
    "overdue_cases",
    "reception_figures",
    "scope_choices",
    "service_points",
    "tiles",
    "trend_months",
]

UNRECORDED_LEVEL = "未记录"
EVERYWHERE = Scope()
"""The whole deployment (街道): no narrowing."""

# --- result types --------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthFigures:
    """One month of the trend: 受理件数, 解决率 (its numerator is 已解决) and 满意率."""

    period: Period
    accepted: int
    resolution: Ratio
    satisfaction: Ratio

    @property
    def label(self) -> str:
        """``2026-11``: the month as shown on the chart's axis."""
        return f"{self.period.start:%Y-%m}"


@dataclass(frozen=True)
class GroupFigures:
    """One group of a breakdown: its label, 受理件数 and 解决率 with counts."""

    key: str
    label: str
    accepted: int
    resolution: Ratio


@dataclass(frozen=True)
class Breakdowns:
    """Cases accepted in the period by category, channel and 五件制 type; resolved by level."""

    by_category: list[GroupFigures]
    by_channel: list[GroupFigures]
    by_handling: list[GroupFigures]
    by_level: list[tuple[str, int]]
    """(level label, cases resolved at that level) over 解决率's numerator."""


@dataclass(frozen=True)
class CellFigures:
    """A grid cell's measures for the map and the ranking."""

    cell_id: int
    code: str
    name: str
    community: str
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
class CaseLink:
    """A row of the overdue or escalated list, linking to the case page (no personal data)."""

    case_id: int
    case_no: str
    url: str
    category: str
    cell: str
    status: str
    accepted_at: dt.datetime
    deadline_at: dt.datetime | None
    escalated_to: str | None
    days_overdue: int | None
    summary: str


@dataclass(frozen=True)
class ServicePointView:
    """A service point on the map (admin data)."""

    kind: str
    label: str
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Tile:
    """One KPI tile: its name, the shown value, the count beside it and the change."""

    key: str
    label: str
    value: str
    detail: str
    delta: str | None
    help: str
    higher_is_better: bool = True


@dataclass(frozen=True)
class LiveView:
    """What the live fragment draws: the KPI tiles of both periods, every cell, the map."""

    period: Period
    now: dt.datetime
    scope: Scope
    current: KpiSnapshot
    previous: KpiSnapshot
    cells: list[CellFigures]
    geojson: dict[str, Any]
    service_points: list[ServicePointView]
    open_cases: int
    """在办件数 now: cases in an open state (已受理, 办理中, 待补材料, 已上报)."""


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


@dataclass(frozen=True)
class AnalysisView:
    """The rest of the page: monthly trend, breakdowns, overdue and escalated lists, 接待日."""

    trend: list[MonthFigures]
    breakdowns: Breakdowns
    overdue: list[CaseLink]
    escalated: list[CaseLink]
    reception: ReceptionFigures


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


# --- building blocks -----------------------------------------------------------------------


def _codes(values: Iterable[str]) -> list[str]:
    return sorted(str(v) for v in values)


def _bucket(column: Any, periods: Sequence[Period]) -> ColumnElement[Any]:
    """The index of the period that ``column`` falls in (portable ``CASE``, no date functions)."""
    return case(*[(column < p.end, i) for i, p in enumerate(periods)], else_=None)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """1 where ``condition`` holds, else 0 (summed by an outer query)."""
    return case((condition, 1), else_=0)


def _cell_scope(scope: Scope) -> list[ColumnElement[bool]]:
    """Filters on ``grid_cells`` for the scope's territory."""
    filters: list[ColumnElement[bool]] = []
    if scope.grid_cell_id is not None:
        filters.append(GridCell.id == scope.grid_cell_id)
    if scope.community_id is not None:
        filters.append(GridCell.community_id == scope.community_id)
    return filters


def case_link(case_id: int) -> str:
    """The URL of the case page for ``case_id``."""
    return f"/case?id={case_id}"


def trend_months(today: dt.date, months: int = 12) -> list[Period]:
    """The ``months`` calendar months ending with the month of ``today``, oldest first."""
    periods = [Period.month_of(today)]
    for _ in range(months - 1):
        periods.append(periods[-1].previous())
    return periods[::-1]


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


# --- aggregates ----------------------------------------------------------------------------


def open_case_count(session: Session, *, scope: Scope, use_rollups: bool = True) -> int:
    """在办件数: cases in scope still in an open state (``domain.workflow.OPEN_STATUSES``)."""
    if use_rollups and territory_only(scope):
        return as_int(
            session.scalar(select(sum0(KpiOpenDay.open_cases)).where(*day_scope(scope, KpiOpenDay)))
        )
    return as_int(
        session.scalar(select(func.count()).select_from(Case).where(OPEN, *case_scope(scope)))
    )


def monthly_trend(
    session: Session, *, months: Sequence[Period], scope: Scope, use_rollups: bool = True
) -> list[MonthFigures]:
    """Per month: 受理件数, 解决率 (accepted that month, now resolved) and 满意率 (回访 that month)."""
    span = Period(months[0].start, months[-1].end)
    if use_rollups and rollups_cover(span, scope):
        return _monthly_trend_rollup(session, months=months, scope=scope)
    accepted_bucket = _bucket(Case.accepted_at, months).label("m")
    accepted_rows = select(
        accepted_bucket,
        _flag(COUNTS_FOR_RESOLUTION).label("counts"),
        _flag(RESOLVED).label("resolved"),
    ).where(
        in_period(Case.accepted_at, Period(months[0].start, months[-1].end)), *case_scope(scope)
    )
    inner = accepted_rows.subquery()
    accepted: dict[int, tuple[int, int, int]] = {}
    for m, n, base, resolved in session.execute(
        select(
            inner.c.m,
            func.count(),
            func.sum(inner.c.counts),
            func.sum(inner.c.resolved),
        ).group_by(inner.c.m)
    ):
        accepted[int(m)] = (as_int(n), as_int(base), as_int(resolved))

    follow_bucket = _bucket(Case.followed_up_at, months).label("m")
    follow_rows = select(
        follow_bucket,
        _flag(Case.satisfaction.in_(_codes(SATISFIED_ANSWERS))).label("satisfied"),
    ).where(
        in_period(Case.followed_up_at, Period(months[0].start, months[-1].end)),
        Case.satisfaction.in_(_codes(ANSWERED_FOLLOW_UPS)),
        *case_scope(scope),
    )
    inner_f = follow_rows.subquery()
    followed: dict[int, tuple[int, int]] = {}
    for m, n, satisfied in session.execute(
        select(inner_f.c.m, func.count(), func.sum(inner_f.c.satisfied)).group_by(inner_f.c.m)
    ):
        followed[int(m)] = (as_int(n), as_int(satisfied))

    result = []
    for i, period in enumerate(months):
        n, base, resolved = accepted.get(i, (0, 0, 0))
        answered, satisfied = followed.get(i, (0, 0))
        result.append(MonthFigures(period, n, Ratio(resolved, base), Ratio(satisfied, answered)))
    return result


def _monthly_trend_rollup(
    session: Session, *, months: Sequence[Period], scope: Scope
) -> list[MonthFigures]:
    """``monthly_trend`` from ``kpi_days``: sums per day (a year is 366 rows), added up per month."""
    sums = [[0] * 5 for _ in months]
    ends = [p.end.date() for p in months]
    for day, *values in session.execute(
        select(
            KpiDay.day,
            func.sum(KpiDay.accepted),
            func.sum(KpiDay.resolution_base),
            func.sum(KpiDay.resolved),
            func.sum(KpiDay.answered),
            func.sum(KpiDay.satisfied),
        )
        .where(*days_of(Period(months[0].start, months[-1].end)), *day_scope(scope))
        .group_by(KpiDay.day)
    ):
        month = bisect.bisect_right(ends, day)
        for i, value in enumerate(values):
            sums[month][i] += as_int(value)
    return [
        MonthFigures(period, n, Ratio(resolved, base), Ratio(satisfied, answered))
        for period, (n, base, resolved, answered, satisfied) in zip(months, sums, strict=True)
    ]


def _category_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Category.id, Category.name)).all())


_GroupSums = dict[str, dict[Any, list[int]]]


def _breakdown_sums_rollup(
    session: Session, *, period: Period, scope: Scope
) -> tuple[_GroupSums, dict[str | None, int]]:
    """(accepted, base, resolved) per group of each breakdown, from ``kpi_day_groups``."""
    filters = [KpiDayGroup.day >= period.start.date(), KpiDayGroup.day < period.end.date()]
    if scope.community_id is not None:
        filters.append(KpiDayGroup.community_id == scope.community_id)
    sums: _GroupSums = {"category": {}, "channel": {}, "handling": {}}
    levels: dict[str | None, int] = {}
    for dimension, key, n, base, resolved in session.execute(
        select(
            KpiDayGroup.dimension,
            KpiDayGroup.group_key,
            func.sum(KpiDayGroup.accepted),
            func.sum(KpiDayGroup.resolution_base),
            func.sum(KpiDayGroup.resolved),
        )
        .where(*filters)
        .group_by(KpiDayGroup.dimension, KpiDayGroup.group_key)
    ):
        if dimension == "level":
            if as_int(resolved):
                levels[key or None] = as_int(resolved)
        elif as_int(n):
            group = int(key) if dimension == "category" else key
            sums[dimension][group] = [as_int(n), as_int(base), as_int(resolved)]
    return sums, levels


def _breakdown_sums_scan(
    session: Session, *, period: Period, scope: Scope
) -> tuple[_GroupSums, dict[str | None, int]]:
    """The same sums from one grouped scan of the cases accepted in the period."""
    level = case((RESOLVED, Case.resolved_level), else_=None)
    inner = (
        select(
            Case.category_id.label("category_id"),
            Case.channel.label("channel"),
            Case.handling_type.label("handling"),
            level.label("level"),
            _flag(COUNTS_FOR_RESOLUTION).label("counts"),
            _flag(RESOLVED).label("resolved"),
        )
        .where(in_period(Case.accepted_at, period), *case_scope(scope))
        .subquery()
    )
    keys = (inner.c.category_id, inner.c.channel, inner.c.handling, inner.c.level)
    rows = session.execute(
        select(*keys, func.count(), func.sum(inner.c.counts), func.sum(inner.c.resolved)).group_by(
            *keys
        )
    ).all()
    sums: dict[str, dict[Any, list[int]]] = {
        "category": defaultdict(lambda: [0, 0, 0]),
        "channel": defaultdict(lambda: [0, 0, 0]),
        "handling": defaultdict(lambda: [0, 0, 0]),
    }
    levels: dict[str | None, int] = defaultdict(int)
    for category_id, channel, handling, lvl, n, base, resolved in rows:
        for name, key in (("category", category_id), ("channel", channel), ("handling", handling)):
            acc = sums[name][key]
            acc[0] += as_int(n)
            acc[1] += as_int(base)
            acc[2] += as_int(resolved)
        if as_int(resolved):
            levels[lvl] += as_int(resolved)
    return sums, levels


def breakdowns(
    session: Session, *, period: Period, scope: Scope, use_rollups: bool = True
) -> Breakdowns:
    """受理件数 and 解决率 by category, channel and 五件制 type, and resolved cases by level.

    From the per-社区 rollup for the 街道 or a 社区; one grouped scan of the period's cases for
    a grid cell (or a scope the rollup does not cover), its small grouped rows summed three ways.
    """
    by_rollup = use_rollups and rollups_cover(period, scope) and scope.grid_cell_id is None
    sums, levels = (_breakdown_sums_rollup if by_rollup else _breakdown_sums_scan)(
        session, period=period, scope=scope
    )
    names = _category_names(session)
    category_order = {
        cid: i
        for i, cid in enumerate(
            session.scalars(select(Category.id).order_by(Category.sort_order, Category.id))
        )
    }

    def groups(name: str, label: Any, order: Any) -> list[GroupFigures]:
        found = sums[name]
        return [
            GroupFigures(str(key), label(key), a, Ratio(r, b))
            for key, (a, b, r) in sorted(found.items(), key=lambda kv: order(kv[0]))
        ]

    channel_order = {c.value: i for i, c in enumerate(Channel)}
    handling_order = {h.value: i for i, h in enumerate(HandlingType)}
    level_order = [lv.value for lv in Level]
    by_level = [(LEVEL_LABELS[Level(v)], levels.get(v, 0)) for v in level_order]
    if levels.get(None):
        by_level.append((UNRECORDED_LEVEL, levels[None]))
    return Breakdowns(
        by_category=groups(
            "category", lambda k: names.get(k, str(k)), lambda k: category_order.get(k, 999)
        ),
        by_channel=groups(
            "channel",
            lambda k: CHANNEL_LABELS[Channel(k)] if k in channel_order else str(k),
            lambda k: channel_order.get(k, 999),
        ),
        by_handling=groups(
            "handling",
            lambda k: HANDLING_LABELS[HandlingType(k)] if k in handling_order else str(k),
            lambda k: handling_order.get(k, 999),
        ),
        by_level=by_level,
    )


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
            count_if(and_(CLOCK_RUNNING, Case.deadline_at < now)),
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
        select(GridCell.id, GridCell.code, GridCell.name, Community.name)
        .join(Community, Community.id == GridCell.community_id)
        .where(*_cell_scope(scope))
        .order_by(Community.code, GridCell.code)
    ).all()
    by_rollup = use_rollups and rollups_cover(period, scope)
    sums = (_cell_sums_rollup if by_rollup else _cell_sums_scan)(
        session, period=period, now=now, scope=scope
    )
    households, visited = coverage or cell_coverage(session, period=period, scope=scope)
    result = []
    for cid, code, name, community in cells:
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
            )
        )
    return result


def cell_ranking(cells: Iterable[CellFigures], *, min_cases: int) -> list[CellFigures]:
    """Cells ranked by 解决率 (then by cases resolved); cells under ``min_cases`` accepted are left out."""
    eligible = [c for c in cells if c.accepted >= min_cases and c.resolution.denominator > 0]
    return sorted(
        eligible,
        key=lambda c: (-(c.resolution.rate or 0.0), -c.resolution.numerator, c.code),
    )


def _links(session: Session, stmt: Any, now: dt.datetime) -> list[CaseLink]:
    return _links_of(session, session.execute(stmt), now)


def _links_of(session: Session, rows: Iterable[Any], now: dt.datetime) -> list[CaseLink]:
    names = _category_names(session)
    links = []
    for row in rows:
        late = (
            (now.date() - row.deadline_at.date()).days
            if row.deadline_at is not None and row.deadline_at < now
            else None
        )
        text = " ".join(row.description.split())
        links.append(
            CaseLink(
                case_id=row.id,
                case_no=row.case_no,
                url=case_link(row.id),
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


def _link_select() -> Any:
    return select(
        Case.id,
        Case.case_no,
        Case.category_id,
        Case.status,
        Case.accepted_at,
        Case.deadline_at,
        Case.escalated_to,
        Case.description,
        GridCell.name.label("cell"),
    ).join(GridCell, GridCell.id == Case.grid_cell_id)


def overdue_cases(
    session: Session, *, now: dt.datetime, scope: Scope, limit: int = 20
) -> list[CaseLink]:
    """逾期: open cases with the clock running past their deadline, longest overdue first.

    One query per clock-running state, each reading the first ``limit`` entries of
    ``ix_cases_status_deadline_id`` in order, merged here: an ``IN`` over the states would fetch
    and sort every overdue case (some 100,000 at 1,000,000 cases).
    """
    rows = []
    for status in _codes(OPEN_STATUSES - PAUSED_STATUSES):
        stmt = (
            _link_select()
            .where(Case.status == status, Case.deadline_at < now, *case_scope(scope))
            .order_by(Case.deadline_at, Case.id)
            .limit(limit)
        )
        rows.extend(session.execute(stmt))
    rows.sort(key=lambda row: (row.deadline_at, row.id))
    return _links_of(session, rows[:limit], now)


def escalated_cases(
    session: Session, *, now: dt.datetime, scope: Scope, limit: int = 20
) -> list[CaseLink]:
    """已上报: cases waiting for a higher level's answer, the longest waiting first."""
    stmt = (
        _link_select()
        .where(Case.status == CaseStatus.ESCALATED.value, *case_scope(scope))
        .order_by(Case.accepted_at, Case.id)
        .limit(limit)
    )
    return _links(session, stmt, now)


def reception_figures(
    session: Session, *, period: Period, now: dt.datetime, scope: Scope, use_rollups: bool = True
) -> ReceptionFigures:
    """接待日 sessions held in the period (up to today) and their cases' outcomes.

    Sessions are narrowed by 社区 (a grid cell's scope: the cell's 社区); their cases by every
    field of the scope. 解决率 has the predicates of the tiles. Two grouped queries: the
    sessions, and their cases' outcomes per session (from ``kpi_reception`` for a territory
    scope, else ``COUNT``/``SUM(CASE …)`` over the cases).
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
    if use_rollups and territory_only(scope):
        outcome_rows = session.execute(
            select(
                KpiReception.session_id,
                func.sum(KpiReception.cases),
                func.sum(KpiReception.open_cases),
                func.sum(KpiReception.resolution_base),
                func.sum(KpiReception.resolved),
            )
            .join(ReceptionSession, ReceptionSession.id == KpiReception.session_id)
            .where(*held, *day_scope(scope, KpiReception))
            .group_by(KpiReception.session_id)
        )
    else:
        outcome_rows = session.execute(
            select(
                ReceptionConcern.session_id,
                func.count(),
                count_if(OPEN),
                count_if(COUNTS_FOR_RESOLUTION),
                count_if(RESOLVED),
            )
            .join(Case, Case.id == ReceptionConcern.case_id)
            .join(ReceptionSession, ReceptionSession.id == ReceptionConcern.session_id)
            .where(*held, *case_scope(scope))
            .group_by(ReceptionConcern.session_id)
        )
    outcomes = {
        sid: (as_int(n), as_int(open_n), as_int(base), as_int(resolved))
        for sid, n, open_n, base, resolved in outcome_rows
    }
    rows = []
    for sid, held_at, community_name, place in sessions:
        n, open_n, base, resolved = outcomes.get(sid, (0, 0, 0, 0))
        rows.append(
            ReceptionSessionFigures(
                sid, held_at, community_name, place, n, open_n, Ratio(resolved, base)
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


def grid_geojson(session: Session, *, scope: Scope = EVERYWHERE) -> dict[str, Any]:
    """The grid cells in scope as a GeoJSON FeatureCollection; each feature's id is the cell id."""
    rows = session.execute(
        select(GridCell.id, GridCell.boundary_geojson)
        .where(*_cell_scope(scope))
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


def scope_choices(session: Session) -> ScopeChoices:
    """Communities and grid cells for the scope selector."""
    subdistrict = session.scalar(select(Subdistrict.name).order_by(Subdistrict.id)) or "街道"
    communities = dict(
        session.execute(select(Community.id, Community.name).order_by(Community.code)).all()
    )
    cells: dict[int, dict[int, str]] = defaultdict(dict)
    for cid, community_id, name in session.execute(
        select(GridCell.id, GridCell.community_id, GridCell.name).order_by(GridCell.code)
    ):
        cells[community_id][cid] = name
    return ScopeChoices(subdistrict, communities, dict(cells))


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
    stmt = (
        _link_select()
        .where(OPEN, Case.grid_cell_id == cell_id)
        .order_by(Case.deadline_at, Case.id)
        .limit(limit)
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
        open_cases=_links(session, stmt, now),
        open_total=open_total,
    )


# --- tiles ---------------------------------------------------------------------------------


def _count_delta(current: int, previous: int) -> str:
    return f"{current - previous:+,}"


def _rate_delta(current: Ratio, previous: Ratio) -> str | None:
    if current.rate is None or previous.rate is None:
        return None
    return f"{(current.rate - previous.rate) * 100:+.1f} 百分点"


def tiles(current: KpiSnapshot, previous: KpiSnapshot, *, open_cases: int) -> list[Tile]:
    """One tile per KPI (DOMAIN.md §6) plus 在办件数: value, count beside rate, change."""

    def rate_tile(
        key: str,
        label: str,
        ratio: Ratio,
        prev: Ratio,
        unit: str,
        help_: str,
        *,
        higher_is_better: bool = True,
    ) -> Tile:
        return Tile(
            key,
            label,
            ratio.percent(),
            f"{ratio.numerator:,} / {ratio.denominator:,} {unit}",
            _rate_delta(ratio, prev),
            help_,
            higher_is_better,
        )

    days = current.mean_handling_days
    prev_days = previous.mean_handling_days
    return [
        Tile(
            "visits",
            "走访次数",
            f"{current.visits:,}",
            f"走访人次 {current.visit_persons:,}",
            _count_delta(current.visits, previous.visits),
            "本期走访记录条数；走访人次 = 见面人数之和",
        ),
        rate_tile(
            "visit_coverage",
            "走访覆盖率",
            current.visit_coverage,
            previous.visit_coverage,
            "户",
            "本期至少走访一次的户数 ÷ 总户数",
        ),
        Tile(
            "accepted",
            "受理件数",
            f"{current.accepted:,}",
            "本期受理",
            _count_delta(current.accepted, previous.accepted),
            "本期受理的民情件数",
        ),
        rate_tile(
            "resolution",
            "解决率",
            current.resolution,
            previous.resolution,
            "件",
            "本期受理且已办结或已答复 ÷ 本期受理（不含退回件和合并的重复件）",
        ),
        rate_tile(
            "on_time",
            "按期办结率",
            current.on_time,
            previous.on_time,
            "件",
            "本期办结且未超期限 ÷ 本期办结",
        ),
        rate_tile(
            "response",
            "响应率",
            current.response,
            previous.response,
            "件",
            "本期受理且在响应时限内首次联系或办理 ÷ 本期受理",
        ),
        rate_tile(
            "satisfaction",
            "满意率",
            current.satisfaction,
            previous.satisfaction,
            "次回访",
            "（满意 + 基本满意）÷ 本期有效回访（不含未评价）",
        ),
        Tile(
            "assistance_persons",
            "帮扶人次",
            f"{current.assistance_persons:,}",
            "本期帮扶",
            _count_delta(current.assistance_persons, previous.assistance_persons),
            "本期帮扶记录的受助人数之和",
        ),
        Tile(
            "open_cases",
            "在办件数",
            f"{open_cases:,}",
            "当前仍在办理",
            None,
            "当前处于已受理、办理中、待补材料或已上报状态的件数",
            higher_is_better=False,
        ),
        Tile(
            "overdue",
            "逾期件数",
            f"{current.overdue:,}",
            "当前在办且已超期限",
            None,
            "当前仍在办理、未暂停计时且已超过办结期限的件数",
            higher_is_better=False,
        ),
        Tile(
            "mean_handling_days",
            "平均办理时长",
            "—" if days is None else f"{days:.1f} 天",
            f"本期办结 {current.on_time.denominator:,} 件",
            None if days is None or prev_days is None else f"{days - prev_days:+.1f} 天",
            "本期办结案件从受理到办结的平均工作日数",
            higher_is_better=False,
        ),
        rate_tile(
            "repeat",
            "重复信访率",
            current.repeat,
            previous.repeat,
            "件",
            "本期受理中标记为重信的件数 ÷ 本期受理",
            higher_is_better=False,
        ),
        rate_tile(
            "community_resolution",
            "社区化解率",
            current.community_resolution,
            previous.community_resolution,
            "件",
            "本期已解决案件中在社区层面化解的件数 ÷ 本期已解决件数",
        ),
    ]


# --- cached views --------------------------------------------------------------------------


def _now_valid_until(session: Session, now: dt.datetime, scope: Scope) -> dt.datetime:
    """How long figures taken at ``now`` stay exact: until the next deadline passes (or midnight)."""
    upcoming = next_deadline(session, now, scope)
    # Days overdue in the lists change at midnight even when no deadline passes.
    horizon = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time())
    return horizon if upcoming is None else min(upcoming, horizon)


def live_view(
    session: Session, *, period: Period, now: dt.datetime, scope: Scope = EVERYWHERE
) -> LiveView:
    """The live part of the dashboard (tiles of this and the previous period, cells, map).

    The figures of visits, coverage and assistance are cached apart under a fingerprint of
    their own tables: a case saved elsewhere recomputes the case figures only.
    """
    fingerprint = data_fingerprint(session)
    by_territory = territory_fingerprint(session)

    def territory(p: Period) -> TerritoryFigures:
        return cached(
            ("territory", p, scope),
            lambda: (territory_figures(session, period=p, scope=scope), None),
            fingerprint=by_territory,
        )

    def compute() -> tuple[LiveView, dt.datetime | None]:
        valid_until = _now_valid_until(session, now, scope)
        previous = period.previous()
        coverage = cached(
            ("cell-coverage", period, scope),
            lambda: (cell_coverage(session, period=period, scope=scope), None),
            fingerprint=by_territory,
        )
        view = LiveView(
            period=period,
            now=now,
            scope=scope,
            current=kpi_snapshot(
                session, period=period, now=now, scope=scope, territory=territory(period)
            ),
            previous=kpi_snapshot(
                session, period=previous, now=now, scope=scope, territory=territory(previous)
            ),
            cells=cell_figures(session, period=period, now=now, scope=scope, coverage=coverage),
            geojson=grid_geojson(session, scope=scope),
            service_points=service_points(session, scope=scope),
            open_cases=open_case_count(session, scope=scope),
        )
        return view, valid_until

    view = cached(("live", period, scope), compute, fingerprint=fingerprint, now=now)
    return view if view.now == now else replace(view, now=now)


def analysis_view(
    session: Session,
    *,
    period: Period,
    now: dt.datetime,
    scope: Scope = EVERYWHERE,
    months: int = 12,
    limit: int = 20,
) -> AnalysisView:
    """Trends over ``months`` months up to the period's last month, breakdowns, case lists."""
    fingerprint = data_fingerprint(session)
    last_day = (period.end - dt.timedelta(seconds=1)).date()
    trend_periods = tuple(trend_months(min(last_day, now.date()), months))

    def compute() -> tuple[AnalysisView, dt.datetime | None]:
        valid_until = _now_valid_until(session, now, scope)
        view = AnalysisView(
            trend=monthly_trend(session, months=trend_periods, scope=scope),
            breakdowns=breakdowns(session, period=period, scope=scope),
            overdue=overdue_cases(session, now=now, scope=scope, limit=limit),
            escalated=escalated_cases(session, now=now, scope=scope, limit=limit),
            reception=reception_figures(session, period=period, now=now, scope=scope),
        )
        return view, valid_until

    return cached(
        ("analysis", period, scope, trend_periods, limit), compute, fingerprint=fingerprint, now=now
    )


def cached_cell_panel(
    session: Session, *, cell_id: int, period: Period, now: dt.datetime
) -> CellPanel | None:
    """``cell_panel`` through the exact cache."""
    fingerprint = data_fingerprint(session)

    def compute() -> tuple[CellPanel | None, dt.datetime | None]:
        scope = Scope(grid_cell_id=cell_id)
        return cell_panel(session, cell_id=cell_id, period=period, now=now), _now_valid_until(
            session, now, scope
        )

    return cached(("panel", cell_id, period), compute, fingerprint=fingerprint, now=now)
