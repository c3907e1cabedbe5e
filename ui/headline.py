"""The headline figures of the deck, once for the projector (st.metric) and the handout (PDF)."""

from __future__ import annotations

from dataclasses import dataclass

from db.queries.kpis import KpiSnapshot
from domain.kpis import KPIS


@dataclass(frozen=True)
class Tile:
    """One headline figure: its label, value and the line under it."""

    label: str
    value: str
    detail: str
    is_change: bool = False
    """``detail`` is a change against the period before (coloured up/down on screen)."""


def _change(now: int, before: int) -> str:
    return f"{now - before:+,} 较此前同期"


def headline_tiles(cur: KpiSnapshot, prev: KpiSnapshot) -> tuple[list[Tile], list[Tile]]:
    """The three large figures and the four small ones of the headline slide."""
    big = [
        Tile(KPIS["visits"].label, f"{cur.visits:,}", _change(cur.visits, prev.visits), True),
        Tile(
            KPIS["resolution"].label,
            cur.resolution.percent(),
            f"{cur.resolution.numerator:,} / {cur.resolution.denominator:,} 件",
        ),
        Tile(
            KPIS["assistance_persons"].label,
            f"{cur.assistance_persons:,}",
            _change(cur.assistance_persons, prev.assistance_persons),
            True,
        ),
    ]
    small = [
        Tile(KPIS["accepted"].label, f"{cur.accepted:,}", _change(cur.accepted, prev.accepted)),
        Tile(
            KPIS["satisfaction"].label,
            cur.satisfaction.percent(),
            f"{cur.satisfaction.numerator:,} / {cur.satisfaction.denominator:,} 次回访",
        ),
        Tile(
            KPIS["community_resolution"].label,
            cur.community_resolution.percent(),
            f"{cur.community_resolution.numerator:,} / {cur.community_resolution.denominator:,} 件",
        ),
        Tile(KPIS["overdue"].label, f"{cur.overdue:,}", "当前在办且已超期"),
    ]
    return big, small
