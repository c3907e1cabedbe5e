"""会议大屏: everything the projector deck shows, anonymised, in one call.

The figures come from the dashboard's cached views (``db.queries.dashboard``), so the wall
shows exactly what the secretary's dashboard shows. The 公示 list is the only new query: it
reads the reporter's and household head's names solely to mask them inside the result text
and returns no personal field (no name, phone, address, household or case number).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Case, Category, GridCell, Household
from db.queries.dashboard import (
    EVERYWHERE,
    CellFigures,
    MonthFigures,
    ServicePointView,
    analysis_view,
    cell_ranking,
    live_view,
    scope_choices,
)
from db.queries.kpis import KpiSnapshot, Scope
from db.queries.predicates import RESOLVED
from domain.anonymise import scrub_text
from domain.kpis import Period


@dataclass(frozen=True)
class Notice:
    """One line of the 办结公示: what was done where and how long it took — nothing personal."""

    finished_on: dt.date
    category: str
    cell: str
    result: str
    working_days: int | None

    @property
    def duration(self) -> str:
        """How long it took, as the notice board says it."""
        if self.working_days is None:
            return "—"
        return "当天办结" if self.working_days <= 0 else f"{self.working_days} 个工作日"


@dataclass(frozen=True)
class Deck:
    """The data of every slide, taken at ``now`` for the whole deployment."""

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


NOTICE_FIELDS = ("finished_on", "category", "cell", "result", "working_days")
"""The only fields a 公示 line carries (a test checks nothing personal slips in)."""


def recent_notices(
    session: Session, *, now: dt.datetime, days: int = 30, limit: int = 8, scope: Scope = EVERYWHERE
) -> list[Notice]:
    """Cases resolved or answered in the last ``days`` days, newest first, anonymised."""
    since = now - dt.timedelta(days=days)
    stmt = (
        select(
            Case.finished_at,
            Category.name.label("category"),
            GridCell.name.label("cell"),
            Case.result,
            Case.handling_working_days,
            # Read only to mask them inside the result text; never returned.
            Case.reporter_name,
            Household.head_name,
        )
        .join(Category, Category.id == Case.category_id)
        .join(GridCell, GridCell.id == Case.grid_cell_id)
        .outerjoin(Household, Household.id == Case.household_id)
        .where(RESOLVED, Case.finished_at >= since, Case.finished_at <= now)
        .order_by(Case.finished_at.desc(), Case.id.desc())
        .limit(limit)
    )
    if scope.community_id is not None:
        stmt = stmt.where(Case.community_id == scope.community_id)
    if scope.grid_cell_id is not None:
        stmt = stmt.where(Case.grid_cell_id == scope.grid_cell_id)
    return [
        Notice(
            finished_on=row.finished_at.date(),
            category=row.category,
            cell=row.cell,
            result=scrub_text(
                " ".join((row.result or "已办结").split()), [row.reporter_name, row.head_name]
            ),
            working_days=row.handling_working_days,
        )
        for row in session.execute(stmt)
    ]


def present_deck(
    session: Session, *, now: dt.datetime, min_cases: int, notice_limit: int = 8
) -> Deck:
    """Every slide's data: this month's headline KPIs, this year's cells, ranking, trend and levels."""
    month = Period.month_of(now.date())
    # The year: a single month leaves most cells under the ranking's minimum.
    year = Period.year_of(now.date())
    this_month = live_view(session, period=month, now=now)
    this_year = live_view(session, period=year, now=now)
    analysis = analysis_view(session, period=year, now=now, months=12, limit=1)
    return Deck(
        now=now,
        place=scope_choices(session).subdistrict,
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
        notices=recent_notices(session, now=now, limit=notice_limit),
    )
