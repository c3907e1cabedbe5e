"""The headline figures of the deck, once for the projector (st.metric) and the handout (PDF)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
    change: int | None = None
    """The change ``detail`` shows, if any: only a non-zero change gets an arrow."""


def metric_arrow(change: float | None) -> Literal["auto", "off"]:
    """``st.metric``'s arrow: beside a non-zero change only, never beside a count or a note."""
    return "auto" if change else "off"


def change_text(now: int, before: int) -> str:
    """A count's change against the period before, e.g. ``+12 较此前同期``."""
    return f"{now - before:+,} 较此前同期"


def _changed(label: str, now: int, before: int, *, coloured: bool) -> Tile:
    return Tile(label, f"{now:,}", change_text(now, before), coloured, now - before)


def headline_tiles(cur: KpiSnapshot, prev: KpiSnapshot) -> tuple[list[Tile], list[Tile]]:
    """The three large figures and the four small ones of the headline slide."""
    big = [
        _changed(KPIS["visits"].label, cur.visits, prev.visits, coloured=True),
        Tile(
            KPIS["resolution"].label,
            cur.resolution.percent(),
            f"{cur.resolution.numerator:,} / {cur.resolution.denominator:,} 件",
        ),
        _changed(
            KPIS["assistance_persons"].label,
            cur.assistance_persons,
            prev.assistance_persons,
            coloured=True,
        ),
    ]
    small = [
        _changed(KPIS["accepted"].label, cur.accepted, prev.accepted, coloured=False),
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
