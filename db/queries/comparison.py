"""街道 view: each 社区's KPIs side by side (社区对比) and the 街道 月报's lines.

Every figure is ``db.queries.kpis.kpi_snapshot`` with a ``Scope`` per 社区 (sums over the
rollups where they cover the period): no formula of its own. The 街道 total is ``kpi_snapshot``
over the whole 街道, never a sum or mean of the 社区's rates. 社区 under the ranking minimum
(``dashboard_cells.meets_rank_minimum``, the grid ranking's rule) are listed apart as 样本不足.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Community, Subdistrict
from db.queries.dashboard_cells import meets_rank_minimum, rank_order
from db.queries.kpis import KpiSnapshot, kpi_snapshot
from db.queries.reports import ReportLine
from db.queries.scope import Scope
from domain.kpis import Period
from domain.roles import Actor, Role

COMPARING_ROLES: frozenset[Role] = frozenset({Role.SUBDISTRICT_LEADER, Role.ADMIN})
"""Who compares 社区 (the dashboard's 社区对比, the 街道 月报): the 街道 leader and the admin."""


def compares_communities(actor: Actor) -> bool:
    """True if ``actor`` sees the 社区 comparison and the 街道 月报: a comparing role of the 街道."""
    return actor.role in COMPARING_ROLES and actor.community_id is None


@dataclass(frozen=True)
class CommunityFigures:
    """One 社区 of the comparison: its KPI snapshot for the period."""

    community_id: int
    code: str
    name: str
    kpis: KpiSnapshot


@dataclass(frozen=True)
class CommunityComparison:
    """社区对比 for one period: ranked 社区, those under the minimum, and the 街道 total."""

    period: Period
    now: dt.datetime
    min_cases: int
    ranked: list[CommunityFigures]
    """社区 meeting the ranking minimum, by 解决率 (then cases resolved, then code)."""
    too_few: list[CommunityFigures]
    """社区 under the minimum (样本不足), in code order."""
    total: KpiSnapshot
    """``kpi_snapshot`` over every 社区 compared (the whole 街道 when not narrowed)."""


def community_figures(
    session: Session,
    *,
    period: Period,
    now: dt.datetime,
    community_id: int | None = None,
    overdue_as_of: dt.datetime | None = None,
) -> list[CommunityFigures]:
    """Each 社区's ``kpi_snapshot`` for ``period`` (逾期 at ``now``), in code order.

    ``community_id`` narrows to that one 社区 (a 社区 user's unit); ``overdue_as_of``: 逾期 as
    it stood then instead (the 街道 月报: the period's end).
    """
    stmt = select(Community.id, Community.code, Community.name).order_by(Community.code)
    if community_id is not None:
        stmt = stmt.where(Community.id == community_id)
    return [
        CommunityFigures(
            cid,
            code,
            name,
            kpi_snapshot(
                session,
                period=period,
                now=now,
                scope=Scope(community_id=cid),
                overdue_as_of=overdue_as_of,
            ),
        )
        for cid, code, name in session.execute(stmt)
    ]


def community_comparison(
    session: Session,
    *,
    period: Period,
    now: dt.datetime,
    min_cases: int,
    community_id: int | None = None,
) -> CommunityComparison:
    """社区对比: every 社区's counts and rates, ranked by 解决率 above the ranking minimum."""
    rows = community_figures(session, period=period, now=now, community_id=community_id)
    ranked = [
        r
        for r in rows
        if meets_rank_minimum(r.kpis.accepted, r.kpis.resolution, min_cases=min_cases)
    ]
    ranked.sort(key=lambda r: rank_order(r.kpis.resolution, r.code))
    chosen = {r.community_id for r in ranked}
    scope = Scope(community_id=community_id)
    return CommunityComparison(
        period=period,
        now=now,
        min_cases=min_cases,
        ranked=ranked,
        too_few=[r for r in rows if r.community_id not in chosen],
        total=kpi_snapshot(session, period=period, now=now, scope=scope),
    )


@dataclass(frozen=True)
class SubdistrictReport:
    """The 街道 月报 of one month: one line per 社区, then the 街道 total."""

    subdistrict: str
    period: Period
    generated_at: dt.datetime
    lines: list[ReportLine]

    @property
    def title(self) -> str:
        """「测试街道 2026年3月 各社区民情工作月报」."""
        start = self.period.start
        return f"{self.subdistrict} {start.year}年{start.month}月 各社区民情工作月报"


def subdistrict_report(session: Session, *, month: dt.date, now: dt.datetime) -> SubdistrictReport:
    """The 街道 月报: each 社区's KPIs for the month of ``month`` (up to today), then the total.

    The period and 逾期 (as it stood at the month's end) are taken as in the 社区 月报
    (``reports.monthly_report``).
    """
    period = Period.month_of(month).up_to(now.date())
    subdistrict = session.scalar(select(Subdistrict.name).order_by(Subdistrict.id)) or "街道"
    lines = [
        ReportLine(row.name, False, row.kpis)
        for row in community_figures(session, period=period, now=now, overdue_as_of=period.end)
    ]
    total = kpi_snapshot(session, period=period, now=now, scope=Scope(), overdue_as_of=period.end)
    lines.append(ReportLine(f"{subdistrict}合计", True, total))
    return SubdistrictReport(subdistrict, period, now, lines)
