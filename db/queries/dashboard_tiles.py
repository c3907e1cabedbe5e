"""书记看板 tiles: one per KPI of ``domain.kpis.KPI_DEFINITIONS``, with its count and change.

Labels, units and the help texts come from that table (the landing page and the reports show
the same texts); the change is against ``Period.previous_same_length`` of the period.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.queries.kpis import KpiSnapshot
from domain.kpis import KPI_DEFINITIONS, KpiDefinition, Ratio

NOT_COMPARED = frozenset({"open_cases", "overdue"})
"""Figures taken now, not over the period: shown without a change."""
DETAILS: dict[str, str] = {
    "accepted": "本期受理",
    "assistance_persons": "本期帮扶",
    "open_cases": "当前仍在办理",
    "overdue": "当前在办且已超期限",
}
"""The caption under a count tile (a rate tile shows its count instead)."""


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
    change: float | None = None
    """The change ``delta`` shows, as a number: only a non-zero one gets an arrow."""


def count_delta(current: int, previous: int) -> str:
    """The change of a count, e.g. ``+12``."""
    return f"{current - previous:+,}"


def rate_change(current: Ratio, previous: Ratio) -> float | None:
    """The change of a rate in percentage points, as shown (one decimal); None if undefined."""
    if current.rate is None or previous.rate is None:
        return None
    return round((current.rate - previous.rate) * 100, 1)


def rate_delta(current: Ratio, previous: Ratio) -> str | None:
    """The change of a rate in percentage points; None when either is undefined."""
    change = rate_change(current, previous)
    return None if change is None else f"{change:+.1f} 百分点"


def _tile(kpi: KpiDefinition, current: KpiSnapshot, previous: KpiSnapshot, open_cases: int) -> Tile:
    def make(value: str, detail: str, delta: str | None, change: float | None = None) -> Tile:
        return Tile(
            kpi.key, kpi.label, value, detail, delta, kpi.definition, kpi.higher_is_better, change
        )

    if kpi.key == "open_cases":
        return make(f"{open_cases:,}", DETAILS[kpi.key], None)
    if kpi.key == "mean_handling_days":
        days, before = current.mean_handling_days, previous.mean_handling_days
        return make(
            "—" if days is None else f"{days:.1f} 天",
            f"本期办结 {current.on_time.denominator:,} 件",
            None if days is None or before is None else f"{days - before:+.1f} 天",
            None if days is None or before is None else round(days - before, 1),
        )
    now, then = getattr(current, kpi.key), getattr(previous, kpi.key)
    if isinstance(now, Ratio):
        detail = f"{now.numerator:,} / {now.denominator:,} {kpi.unit}"
        return make(now.percent(), detail, rate_delta(now, then), rate_change(now, then))
    detail = f"走访人次 {current.visit_persons:,}" if kpi.key == "visits" else DETAILS[kpi.key]
    if kpi.key in NOT_COMPARED:
        return make(f"{now:,}", detail, None)
    return make(f"{now:,}", detail, count_delta(now, then), now - then)


def tiles(current: KpiSnapshot, previous: KpiSnapshot, *, open_cases: int) -> list[Tile]:
    """One tile per KPI (DOMAIN.md §6) plus 在办件数: value, count beside rate, change."""
    return [_tile(kpi, current, previous, open_cases) for kpi in KPI_DEFINITIONS]
