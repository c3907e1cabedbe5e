"""书记看板 trends and breakdowns: 受理件数, 解决率 and 满意率 per month; groups of the period.

Sums over ``kpi_days`` / ``kpi_day_groups`` (``db.rollups``) when the rollups cover the scope
and period, else grouped scans of ``cases`` with the predicates of ``db.queries.predicates``.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from db.models import Case, Category, KpiDay, KpiDayGroup
from db.queries.dashboard_lists import category_names
from db.queries.kpis import rollups_cover
from db.queries.predicates import (
    ANSWERED,
    COUNTS_FOR_RESOLUTION,
    RESOLVED,
    SATISFIED,
    as_int,
    case_scope,
    day_scope,
    days_of,
    in_period,
)
from db.queries.scope import Scope
from domain.kpis import Period, Ratio
from domain.workflow import (
    CHANNEL_LABELS,
    HANDLING_LABELS,
    LEVEL_LABELS,
    Channel,
    HandlingType,
    Level,
)

UNRECORDED_LEVEL = "未记录"


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


def _bucket(column: Any, periods: Sequence[Period]) -> ColumnElement[Any]:
    """The index of the period that ``column`` falls in (portable ``CASE``, no date functions)."""
    return case(*[(column < p.end, i) for i, p in enumerate(periods)], else_=None)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """1 where ``condition`` holds, else 0 (summed by an outer query)."""
    return case((condition, 1), else_=0)


def trend_months(today: dt.date, months: int = 12) -> list[Period]:
    """The ``months`` calendar months ending with the month of ``today``, oldest first."""
    periods = [Period.month_of(today)]
    for _ in range(months - 1):
        periods.append(periods[-1].month_before())
    return periods[::-1]


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
        _flag(SATISFIED).label("satisfied"),
    ).where(
        in_period(Case.followed_up_at, Period(months[0].start, months[-1].end)),
        ANSWERED,
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
    names = category_names(session)
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
