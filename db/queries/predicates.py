"""The SQL state groups and filters every read shares: one definition each (DOMAIN.md §4, §6).

The state groups are ``domain.workflow``'s sets as SQL predicates on ``cases``; the KPI
queries, the rollups (``db.rollups``), the ledger and the to-do lists all build on these, so a
change of what counts as open, running, resolved or overdue is made here once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import InstrumentedAttribute

from db.models import Case, GridCell, KpiDay
from db.queries.scope import Scope
from domain.kpis import Period
from domain.workflow import (
    ANSWERED_FOLLOW_UPS,
    CLOSED_WITHOUT_RESULT,
    ESCALATED_STATUSES,
    FINISHED_STATUSES,
    OPEN_STATUSES,
    PAUSED_STATUSES,
    SATISFIED_ANSWERS,
    HandlingType,
    Level,
)


def codes(values: Iterable[object]) -> list[str]:
    """Stored codes of a state group, sorted so that the SQL text is stable."""
    return sorted(str(v) for v in values)


RUNNING_CODES = tuple(codes(OPEN_STATUSES - PAUSED_STATUSES))
"""Open states whose clock runs: the only ones that can be overdue or due soon."""

FINISHED = Case.status.in_(codes(FINISHED_STATUSES))
"""已办结 / 已答复 / 已回访 …: the case left the open states."""
OPEN = Case.status.in_(codes(OPEN_STATUSES))
"""在办: accepted and not finished (paused 补办件 included)."""
CLOCK_RUNNING = Case.status.in_(list(RUNNING_CODES))
"""Open with the clock running (a 补办件 waiting for materials is not)."""
WITH_HIGHER_LEVEL = Case.status.in_(codes(ESCALATED_STATUSES))
"""已上报: with the 街道 (待街道签收, 街道办理中) or an outside unit (waiting for its 回单)."""
COUNTS_FOR_RESOLUTION = and_(
    Case.handling_type != HandlingType.RETURN.value,
    Case.status.not_in(codes(CLOSED_WITHOUT_RESULT)),
)
"""The base of 解决率 (and 社区化解率): 退回件 and merged duplicates are left out."""
RESOLVED = and_(COUNTS_FOR_RESOLUTION, FINISHED)
"""Resolved or answered, among the cases that count for 解决率."""
RESOLVED_AT_COMMUNITY = and_(RESOLVED, Case.resolved_level == Level.COMMUNITY.value)
"""社区化解: resolved at the 社区 level."""
SATISFIED = Case.satisfaction.in_(codes(SATISFIED_ANSWERS))
"""满意 or 基本满意."""
ANSWERED = Case.satisfaction.in_(codes(ANSWERED_FOLLOW_UPS))
"""A follow-up call that got an answer (未评价 left out of 满意率)."""
RESPONDED_IN_TIME = Case.first_response_at <= Case.response_due_at
"""响应: the first contact or handling came within the response limit."""


def overdue_at(now: dt.datetime) -> ColumnElement[bool]:
    """逾期 at ``now``: open, clock running, deadline passed."""
    return and_(CLOCK_RUNNING, Case.deadline_at < now)


def due_between(start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    """Clock running and the deadline in ``[start, end]`` (即将到期 when ``start`` is now)."""
    return and_(CLOCK_RUNNING, Case.deadline_at >= start, Case.deadline_at <= end)


# --- SQL building blocks ---------------------------------------------------------------------


def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END)``, 0 over no rows."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def flag(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END)`` (NULL over no rows)."""
    return func.sum(case((condition, 1), else_=0))


def sum0(column: Any) -> ColumnElement[Any]:
    """``COALESCE(SUM(column), 0)``."""
    return func.coalesce(func.sum(column), 0)


def as_int(value: Any) -> int:
    """An aggregate as an int (MySQL returns ``SUM`` as ``Decimal``; an empty ``SUM`` is NULL)."""
    return 0 if value is None else int(value)


def in_period(column: InstrumentedAttribute[Any], period: Period) -> ColumnElement[bool]:
    """``column`` within the half-open period ``[start, end)``."""
    return and_(column >= period.start, column < period.end)


# --- scope filters ---------------------------------------------------------------------------


def case_scope(scope: Scope, *, by_time: bool = False) -> list[ColumnElement[bool]]:
    """Filters on ``cases`` for every field of the scope.

    ``by_time``: the statement is driven by a time range (finished, followed up) or by the open
    deadlines, and its index already holds the scope columns. SQLite keeps no statistics and
    would otherwise pick the single-column equality index (one 社区 = a quarter of all cases)
    and fetch every row of it (~370 ms at 1M cases); ``COALESCE(col, col)`` is the same value
    on every backend but leaves SQLite only the range index (bench/bench_kpis.py).
    """
    wanted: list[tuple[InstrumentedAttribute[Any], object]] = [
        (Case.community_id, scope.community_id),
        (Case.grid_cell_id, scope.grid_cell_id),
        (Case.category_id, scope.category_id),
        (Case.channel, scope.channel),
        (Case.assignee_id, scope.assignee_id),
    ]
    if by_time:
        return [func.coalesce(col, col) == value for col, value in wanted if value is not None]
    return [column == value for column, value in wanted if value is not None]


def territory_scope(cell_column: Any, scope: Scope) -> list[ColumnElement[bool]]:
    """Filters on a table that knows only its grid cell (visits, households, assistance)."""
    filters: list[ColumnElement[bool]] = []
    if scope.grid_cell_id is not None:
        filters.append(cell_column == scope.grid_cell_id)
    if scope.community_id is not None:
        cells = select(GridCell.id).where(GridCell.community_id == scope.community_id)
        filters.append(cell_column.in_(cells))
    return filters


def territory_only(scope: Scope) -> bool:
    """The scope narrows by territory alone (no category, channel or assignee)."""
    return scope.category_id is None and scope.channel is None and scope.assignee_id is None


def day_scope(scope: Scope, rollup: Any = KpiDay) -> list[ColumnElement[bool]]:
    """Filters on a rollup table (``kpi_days``, ``kpi_open_days`` …) for the scope's territory."""
    filters: list[ColumnElement[bool]] = []
    if scope.community_id is not None:
        filters.append(rollup.community_id == scope.community_id)
    if scope.grid_cell_id is not None:
        filters.append(rollup.grid_cell_id == scope.grid_cell_id)
    return filters


def days_of(period: Period) -> list[ColumnElement[bool]]:
    """The ``kpi_days`` rows of the period's whole days."""
    return [KpiDay.day >= period.start.date(), KpiDay.day < period.end.date()]


def due_today(now: dt.datetime, scope: Scope) -> list[ColumnElement[bool]]:
    """Open cases, clock running, whose deadline passed today before ``now``.

    ``kpi_open_days`` counts whole deadline days; these few are read from ``cases``.
    """
    midnight = dt.datetime.combine(now.date(), dt.time())
    return [
        CLOCK_RUNNING,
        Case.deadline_at >= midnight,
        Case.deadline_at < now,
        *case_scope(scope, by_time=True),
    ]
