"""Plotly figures of the projector deck, for the dark screen and for the printed handout.

Pure plotly (no streamlit), so the handout exporter and the tests build the very same figures.
Nothing here fetches anything: the map is the dashboard's own ``grid_map`` (``white-bg``, no
tiles, no text layer), restyled for the wall.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from db.queries.dashboard import CellFigures, MonthFigures, ServicePointView
from db.queries.present import Deck
from domain.meeting import period_label
from domain.slides import SlideKind
from ui.dashboard_charts import grid_map

FONT_STACK = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
    '"Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'
)
"""System fonts only: Noto Sans CJK from fonts-noto-cjk first, nothing downloaded."""


@dataclass(frozen=True)
class Theme:
    """Colours and sizes of one medium (projector or paper)."""

    background: str
    text: str
    muted: str
    grid: str
    accent: str
    second: str
    good: str
    font_size: int
    colorscale: str


SCREEN = Theme(
    background="#0b1220",
    text="#f5f7fa",
    muted="#aab4c3",
    grid="#2a3446",
    accent="#ffb020",
    second="#4fc3f7",
    good="#5ee08a",
    font_size=26,
    colorscale="YlOrRd",
)
PRINT = Theme(
    background="#ffffff",
    text="#111111",
    muted="#555555",
    grid="#dddddd",
    accent="#d9480f",
    second="#1c7ed6",
    good="#2b8a3e",
    font_size=20,
    colorscale="YlOrRd",
)


def _layout(fig: go.Figure, theme: Theme, *, height: int | None, width: int | None) -> go.Figure:
    fig.update_layout(
        paper_bgcolor=theme.background,
        plot_bgcolor=theme.background,
        font={"family": FONT_STACK, "size": theme.font_size, "color": theme.text},
        margin={"l": 20, "r": 20, "t": 20, "b": 20},
        height=height,
        width=width,
        showlegend=False,
    )
    fig.update_xaxes(gridcolor=theme.grid, zerolinecolor=theme.grid, automargin=True)
    fig.update_yaxes(gridcolor=theme.grid, zerolinecolor=theme.grid, automargin=True)
    return fig


def cell_label(cell: CellFigures) -> str:
    """A cell as named on a slide: 社区 and 网格 (cell names repeat across 社区)."""
    return f"{cell.community} {cell.name}"


def _coordinates(geometry: dict[str, Any]) -> Iterable[Sequence[float]]:
    rings = geometry["coordinates"]
    if geometry["type"] == "MultiPolygon":
        rings = [ring for polygon in rings for ring in polygon]
    for ring in rings:
        yield from ring


def map_view(
    geojson: dict[str, Any], *, width_px: int, height_px: int
) -> tuple[dict[str, float], float]:
    """Centre and zoom that fit every cell of ``geojson`` into a map of the given size."""
    points = [p for f in geojson["features"] for p in _coordinates(f["geometry"])]
    if not points:
        return {"lat": 28.2, "lon": 112.98}, 12.0
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    lon_span = max(max(lons) - min(lons), 1e-4)
    lat_mid = (max(lats) + min(lats)) / 2
    # Web Mercator: a 512-px world at zoom 0; latitude spans stretch by 1/cos(lat).
    lat_span = max(max(lats) - min(lats), 1e-4) / math.cos(math.radians(lat_mid))
    zoom = min(
        math.log2(width_px * 360 / (lon_span * 512)), math.log2(height_px * 360 / (lat_span * 512))
    )
    centre = {"lat": lat_mid, "lon": (max(lons) + min(lons)) / 2}
    return centre, round(zoom - 0.15, 2)


def map_figure(
    cells: Sequence[CellFigures],
    geojson: dict[str, Any],
    theme: Theme,
    *,
    points: Sequence[ServicePointView] = (),
    height: int = 780,
    width: int = 1500,
) -> go.Figure:
    """The dashboard's grid map (``ui.dashboard_charts.grid_map``) by open cases, sized for a wall."""
    fig = grid_map(cells, geojson, points, measure="open_cases")
    centre, zoom = map_view(geojson, width_px=width - 160, height_px=height - 60)
    fig.update_layout(
        paper_bgcolor=theme.background,
        font={"family": FONT_STACK, "size": theme.font_size, "color": theme.text},
        height=height,
        width=width,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        map={"center": centre, "zoom": zoom},
        legend={
            "font": {"color": theme.text, "size": theme.font_size},
            "bgcolor": theme.background,
        },
        coloraxis_colorbar={"thickness": 28, "tickfont": {"color": theme.text}},
    )
    return fig


def trend_figure(
    trend: Sequence[MonthFigures], theme: Theme, *, height: int = 780, width: int | None = None
) -> go.Figure:
    """受理件数 per month as bars, 解决率 and 满意率 as lines on a percentage axis."""
    months = [f"{m.period.start.year % 100:02d}年{m.period.start.month}月" for m in trend]

    def pct(ratio_rates: Iterable[float | None]) -> list[float | None]:
        return [None if r is None else round(r * 100, 1) for r in ratio_rates]

    fig = go.Figure()
    fig.add_bar(
        x=months,
        y=[m.accepted for m in trend],
        name="受理件数",
        marker_color=theme.second,
        text=[f"{m.accepted:,}" for m in trend],
        textposition="outside",
        cliponaxis=False,
    )
    fig.add_scatter(
        x=months,
        y=pct(m.resolution.rate for m in trend),
        name="解决率",
        yaxis="y2",
        mode="lines+markers",
        line={"color": theme.accent, "width": 5},
        marker={"size": 12},
    )
    fig.add_scatter(
        x=months,
        y=pct(m.satisfaction.rate for m in trend),
        name="满意率",
        yaxis="y2",
        mode="lines+markers",
        line={"color": theme.good, "width": 5, "dash": "dot"},
        marker={"size": 12},
    )
    _layout(fig, theme, height=height, width=width)
    fig.update_layout(
        showlegend=True,
        legend={"orientation": "h", "x": 0, "y": 1.08, "font": {"size": theme.font_size}},
        yaxis={"title": {"text": "受理件数"}, "rangemode": "tozero"},
        yaxis2={
            "title": {"text": "解决率 / 满意率（%）"},
            "overlaying": "y",
            "side": "right",
            "range": [0, 105],
            "tickmode": "array",
            "tickvals": [0, 20, 40, 60, 80, 100],
            "showgrid": False,
            "automargin": True,
        },
        xaxis={"type": "category"},
        bargap=0.3,
        margin={"l": 20, "r": 120, "t": 70, "b": 20},
    )
    return fig


def ranking_figure(
    ranking: Sequence[CellFigures],
    theme: Theme,
    *,
    top: int = 10,
    height: int = 780,
    width: int | None = None,
) -> go.Figure:
    """The top cells by 解决率, each bar labelled with its rate and its count (已解决/受理)."""
    shown = list(ranking[:top])[::-1]  # plotly draws the first bar at the bottom
    fig = go.Figure(
        go.Bar(
            x=[round((c.resolution.rate or 0) * 100, 1) for c in shown],
            y=[cell_label(c) for c in shown],
            orientation="h",
            marker_color=theme.accent,
            text=[
                f"{c.resolution.percent()}（{c.resolution.numerator}/{c.resolution.denominator} 件）"
                for c in shown
            ],
            textposition="outside",
            cliponaxis=False,
        )
    )
    _layout(fig, theme, height=height, width=width)
    fig.update_layout(
        xaxis={
            "range": [0, 125],
            "title": {"text": "解决率（%）"},
            "tickvals": [0, 25, 50, 75, 100],
        },
        margin={"l": 20, "r": 40, "t": 10, "b": 20},
        bargap=0.25,
    )
    return fig


def levels_figure(
    levels: Sequence[tuple[str, int]], theme: Theme, *, height: int = 780, width: int | None = None
) -> go.Figure:
    """Cases resolved per level (社区/街道/区/上级部门), with counts and shares."""
    total = sum(n for _, n in levels) or 1
    fig = go.Figure(
        go.Bar(
            x=[label for label, _ in levels],
            y=[n for _, n in levels],
            marker_color=[theme.good, theme.second, theme.accent, theme.muted, theme.muted][
                : len(levels)
            ],
            text=[f"{n:,} 件（{n / total:.1%}）" for _, n in levels],
            textposition="outside",
            cliponaxis=False,
        )
    )
    _layout(fig, theme, height=height, width=width)
    fig.update_layout(
        yaxis={"title": {"text": "已解决件数"}, "rangemode": "tozero"},
        margin={"l": 20, "r": 20, "t": 60, "b": 20},
        bargap=0.35,
    )
    return fig


def slide_subtitle(kind: SlideKind, deck: Deck) -> str:
    """The line under a slide's heading: period, scope and how to read it."""
    month = period_label(deck.month, deck.now.date())
    year = f"{deck.year.start.year}年"
    as_of = f"截至 {deck.now:%m月%d日 %H:%M}"
    return {
        SlideKind.HEADLINE: f"{month}，全{deck.place}，{as_of}",
        SlideKind.MAP: f"各网格当前在办件数（颜色越深件数越多），{as_of}",
        SlideKind.TREND: "近 12 个月受理件数、解决率与满意率",
        SlideKind.RANKING: f"{year}，按解决率排序，已解决 / 受理件数附后；受理不足 {deck.min_cases} 件的网格不参与排名",
        SlideKind.LEVELS: f"{year}已解决案件由哪一级化解：小事不出社区、大事不出街道、难事不出区",
        SlideKind.NOTICES: "近 30 天办结的民情（已匿名：不含姓名、电话、住址）",
    }[kind]
