"""会议大屏: everything the projector deck shows, anonymised, in one call.

The figures come from the dashboard's cached views (``db.queries.dashboard``), so the wall
shows exactly what the secretary's dashboard shows; the 公示 slide is ``db.queries.notices``,
the same selection and masking as the printed 公示. The headline shows the meeting's period
(``domain.meeting``: this month so far, or the last complete month early in a month) and
compares it with as many days before it (``Period.previous_same_length``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from db.queries.access import unit_scope
from db.queries.dashboard import (
    CellFigures,
    MonthFigures,
    ServicePointView,
    analysis_view,
    cell_ranking,
    live_view,
)
from db.queries.kpis import KpiSnapshot
from db.queries.notices import Notice, notices, recent
from db.queries.territory import unit_name
from domain.kpis import Period
from domain.meeting import this_month_so_far
from domain.roles import Actor


@dataclass(frozen=True)
class Deck:
    """The data of every slide, taken at ``now`` for the viewer's unit (the 街道 or one 社区)."""

    now: dt.datetime
    place: str
    month: Period
    year: Period
    headline: KpiSnapshot
    previous: KpiSnapshot
    cells: list[CellFigures]
    geojson: dict[str, Any]
    points: list[ServicePointView]
    ranking: list[CellFigures]
    min_cases: int
    trend: list[MonthFigures]
    levels: list[tuple[str, int]]
    notices: list[Notice]


def present_deck(
    session: Session,
    *,
    actor: Actor,
    now: dt.datetime,
    min_cases: int,
    period: Period | None = None,
    notice_limit: int = 8,
) -> Deck:
    """Every slide's data: the period's headline KPIs, its year's cells, ranking, trend and levels.

    ``period`` is the meeting's month (default: this month so far). Inside ``actor``'s unit: a
    社区 viewer's wall shows their 社区, the 街道's the whole 街道.
    """
    scope = unit_scope(actor)
    month = period or this_month_so_far(now.date())
    # The year: a single month leaves most cells under the ranking's minimum.
    year = Period.year_of(month.start.date())
    this_month = live_view(session, period=month, now=now, scope=scope)
    this_year = live_view(session, period=year, now=now, scope=scope)
    analysis = analysis_view(session, period=year, now=now, months=12, limit=1, scope=scope)
    return Deck(
        now=now,
        place=unit_name(session, actor=actor),
        month=month,
        year=year,
        headline=this_month.current,
        previous=this_month.previous,
        cells=this_year.cells,
        geojson=this_year.geojson,
        points=this_year.service_points,
        ranking=cell_ranking(this_year.cells, min_cases=min_cases),
        min_cases=min_cases,
        trend=analysis.trend,
        levels=analysis.breakdowns.by_level,
        notices=notices(session, period=recent(now), scope=scope, limit=notice_limit),
    )
