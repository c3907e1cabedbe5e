"""Plotly figures of the projector deck, for the dark screen and for the printed handout.

Pure plotly (no streamlit), so the handout exporter and the tests build the very same figures.
Nothing here fetches anything: the map draws the cells as plain shapes (no tiles, no WebGL),
so it is dark from its first paint and can name each cell.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from db.queries.dashboard import CellFigures, MonthFigures, ServicePointView
from db.queries.present import Deck
from domain.meeting import period_label
from domain.slides import SlideKind
from ui.dashboard_charts import point_groups

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


def _outer_rings(geometry: dict[str, Any]) -> Iterable[Sequence[Sequence[float]]]:
    """The outer ring of each polygon of a Polygon or MultiPolygon geometry."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    for polygon in polygons:
        if polygon:
            yield polygon[0]


def _text_colour(fill: str) -> str:
    """Black on a light fill, white on a dark one (``fill`` as plotly's ``rgb(r, g, b)``)."""
    r, g, b = (float(v) for v in fill[fill.index("(") + 1 : fill.index(")")].split(",")[:3])
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def short_name(name: str) -> str:
    """A cell's name on the wall map: the part before 「·」 (the full names overlap)."""
    return name.split("·", 1)[0].strip() or name


def map_figure(
    cells: Sequence[CellFigures],
    geojson: dict[str, Any],
    theme: Theme,
    *,
    points: Sequence[ServicePointView] = (),
    height: int = 780,
    width: int = 1500,
) -> go.Figure:
    """The grid map by open cases for a wall or a page, drawn as plain shapes.

    No map tiles and no WebGL: the figure is the theme's colour from its first paint (a tile
    map showed a white box for a second at every slide change) and fetches nothing. Each cell
    carries its name and count; the service points have one legend entry per kind.
    """
    by_id = {c.cell_id: c for c in cells}
    top = max((c.open_cases for c in cells), default=0) or 1
    fig = go.Figure()
    names: list[tuple[float, float, CellFigures, str]] = []
    lat_mid = 28.2
    for feature in geojson.get("features", []):
        cell = by_id.get(feature.get("id"))
        if cell is None:
            continue
        fill = sample_colorscale(theme.colorscale, [0.1 + 0.9 * cell.open_cases / top])[0]
        for ring in _outer_rings(feature["geometry"]):
            lons = [p[0] for p in ring]
            lats = [p[1] for p in ring]
            fig.add_scatter(
                x=lons, y=lats, mode="lines", fill="toself", fillcolor=fill,
                line={"color": theme.grid if theme is PRINT else theme.background, "width": 2},
                hoverinfo="skip", showlegend=False,
            )  # fmt: skip
        ring = max(_outer_rings(feature["geometry"]), key=len)
        x = sum(p[0] for p in ring[:-1] or ring) / len(ring[:-1] or ring)
        y = sum(p[1] for p in ring[:-1] or ring) / len(ring[:-1] or ring)
        names.append((x, y, cell, _text_colour(fill)))
        lat_mid = y
    if names:
        fig.add_scatter(
            x=[n[0] for n in names],
            y=[n[1] for n in names],
            mode="text",
            text=[
                f"{html.escape(short_name(c.name))}<br>{c.open_cases} 件" for _, _, c, _ in names
            ],
            textfont={"size": max(12, theme.font_size - 8), "color": [n[3] for n in names]},
            hoverinfo="skip",
            showlegend=False,
        )
    for label, colour, members in point_groups(points):
        fig.add_scatter(
            x=[p.longitude for p in members], y=[p.latitude for p in members], mode="markers",
            marker={"size": 18, "color": colour, "line": {"color": theme.text, "width": 2}},
            name=html.escape(label), hoverinfo="skip", showlegend=True,
        )  # fmt: skip
    # The colour scale of the cells, as a bar beside the map (a marker trace without points).
    fig.add_scatter(
        x=[None], y=[None], mode="markers", hoverinfo="skip", showlegend=False,
        marker={
            "color": [0], "cmin": 0, "cmax": top, "colorscale": theme.colorscale,
            "showscale": True,
            "colorbar": {"thickness": 28, "title": {"text": "在办件数"},
                         "tickfont": {"color": theme.text}},
        },
    )  # fmt: skip
    _layout(fig, theme, height=height, width=width)
    fig.update_layout(
        showlegend=bool(points),
        legend={
            "orientation": "h", "x": 0, "y": -0.02, "yanchor": "top",
            "font": {"color": theme.text, "size": theme.font_size}, "bgcolor": theme.background,
        },
        margin={"l": 10, "r": 10, "t": 10, "b": 60 if points else 10},
    )  # fmt: skip
    # Longitude and latitude at true proportions: a degree of latitude is 1/cos(lat) longer.
    fig.update_xaxes(visible=False, showgrid=False, zeroline=False)
    fig.update_yaxes(
        visible=False, showgrid=False, zeroline=False,
        scaleanchor="x", scaleratio=1 / math.cos(math.radians(lat_mid)),
    )  # fmt: skip
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
