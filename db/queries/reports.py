"""报表 reads: the 月报's lines (each grid cell's KPI snapshot, then the 社区's total).

The figures are ``db.queries.kpis.kpi_snapshot`` (one definition of every KPI); the files are
laid out by ``services.reports`` from these rows. The 公示 rows are ``db.queries.notices``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Community, GridCell
from db.queries.access import check_visible
from db.queries.kpis import KpiSnapshot, kpi_snapshot
from db.queries.scope import Scope
from domain.kpis import Period
from domain.roles import Actor


@dataclass(frozen=True)
class ReportLine:
    """One line of the 月报: a unit (the 社区 or one grid cell) and its KPI snapshot."""

    unit: str
    is_total: bool
    kpis: KpiSnapshot


@dataclass(frozen=True)
class MonthlyReport:
    """The 月报 of one 社区 for one month."""

    community: str
    period: Period
    generated_at: dt.datetime
    lines: list[ReportLine]

    @property
    def title(self) -> str:
        """「测试社区 2026年3月 民情工作月报」."""
        start = self.period.start
        return f"{self.community} {start.year}年{start.month}月 民情工作月报"


def monthly_report(
    session: Session, *, community_id: int, month: dt.date, now: dt.datetime, actor: Actor
) -> MonthlyReport | None:
    """The 月报: each grid cell's KPIs for the month of ``month`` (up to today), then the total.

    逾期件数 is counted as it stood at the end of the month (``overdue_count_as_of``; today's
    count for the current month). None when the 社区 does not exist; ``OutOfScope`` when it lies outside ``actor``'s unit.
    """
    community = session.get(Community, community_id)
    if community is None:
        return None
    check_visible(actor, community_id=community_id, target=f"{community.name}月报")
    period = Period.month_of(month).up_to(now.date())
    lines = []
    cells = session.execute(
        select(GridCell.id, GridCell.name)
        .where(GridCell.community_id == community_id)
        .order_by(GridCell.code)
    ).all()
    for cell_id, name in cells:
        scope = Scope(grid_cell_id=cell_id)
        snap = kpi_snapshot(session, period=period, now=now, scope=scope, overdue_as_of=period.end)
        lines.append(ReportLine(name, False, snap))
    total = kpi_snapshot(
        session,
        period=period,
        now=now,
        scope=Scope(community_id=community_id),
        overdue_as_of=period.end,
    )
    lines.append(ReportLine(f"{community.name}合计", True, total))
    return MonthlyReport(community.name, period, now, lines)
