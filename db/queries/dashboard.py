"""书记看板: what the page calls — the live view (tiles, map, ranking) and the analysis view
(trends, breakdowns, lists, 接待日) — through ``db.dashboard_cache``.

The figures are in ``dashboard_tiles``, ``dashboard_trend``, ``dashboard_cells``,
``dashboard_lists`` and ``db.queries.reception``; each is an aggregate the database evaluates
with the predicates of ``db.queries.predicates`` (sums over the rollups of ``db.rollups`` where
they cover the scope and period), so every figure equals the pure function of ``domain.kpis``
on the same rows (``tests/test_dashboard_queries.py`` compares them on three backends). A
rerun with unchanged data reads no case; any committed write (or ``clear_dashboard_cache()``)
recomputes. A period is compared with ``Period.previous_same_length``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from db.dashboard_cache import (
    cached,
    clear_dashboard_cache,
    data_fingerprint,
    territory_fingerprint,
)
from db.queries.comparison import CommunityComparison, community_comparison
from db.queries.dashboard_cells import (
    MAP_MEASURES,
    CellFigures,
    CellPanel,
    ScopeChoices,
    ServicePointView,
    cell_coverage,
    cell_figures,
    cell_panel,
    cell_ranking,
    grid_geojson,
    scope_choices,
    service_points,
)
from db.queries.dashboard_lists import (
    EVERYWHERE,
    CaseLink,
    escalated_cases,
    next_deadline,
    open_case_count,
    overdue_cases,
)
from db.queries.dashboard_tiles import Tile, tiles
from db.queries.dashboard_trend import (
    Breakdowns,
    GroupFigures,
    MonthFigures,
    breakdowns,
    monthly_trend,
    trend_months,
)
from db.queries.kpis import KpiSnapshot, TerritoryFigures, kpi_snapshot, territory_figures
from db.queries.reception import ReceptionFigures, ReceptionSessionFigures, reception_figures
from db.queries.scope import Scope
from domain.kpis import Period

__all__ = [
    "EVERYWHERE",
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
    "Scope",
    "ScopeChoices",
    "ServicePointView",
    "Tile",
    "analysis_view",
    "breakdowns",
    "cached_cell_panel",
    "cached_comparison",
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
class AnalysisView:
    """The rest of the page: monthly trend, breakdowns, overdue and escalated lists, 接待日."""

    trend: list[MonthFigures]
    breakdowns: Breakdowns
    overdue: list[CaseLink]
    escalated: list[CaseLink]
    reception: ReceptionFigures


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
        previous = period.previous_same_length()
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


def cached_comparison(
    session: Session,
    *,
    period: Period,
    now: dt.datetime,
    min_cases: int,
    community_id: int | None = None,
) -> CommunityComparison:
    """``comparison.community_comparison`` (社区对比) through the exact cache."""
    fingerprint = data_fingerprint(session)

    def compute() -> tuple[CommunityComparison, dt.datetime | None]:
        found = community_comparison(
            session, period=period, now=now, min_cases=min_cases, community_id=community_id
        )
        return found, _now_valid_until(session, now, Scope(community_id=community_id))

    found = cached(
        ("comparison", period, min_cases, community_id), compute, fingerprint=fingerprint, now=now
    )
    return found if found.now == now else replace(found, now=now)
