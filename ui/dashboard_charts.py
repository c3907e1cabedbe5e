"""Plotly figures of the 书记看板: the live grid map, trends, breakdowns, resolved levels.

Figures are drawn from figures already computed (``db.queries.dashboard``); nothing here
queries or computes a KPI. Hover text is built from numbers and admin data (cell and service
point names) only, HTML-escaped, never from residents' text. The map needs no network: the
default style ``white-bg`` draws polygons without tiles; ``MINQING_MAP_STYLE`` may name a
tile style (e.g. ``open-street-map``) or a MapLibre style URL for sites that have one.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from db.queries.dashboard import (
    MAP_MEASURES,
    CellFigures,
    GroupFigures,
    MonthFigures,
    ServicePointView,
)
from domain.kpis import Ratio
from ui.chinese import MONTH_TICKS

DEFAULT_MAP_STYLE = "white-bg"
FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
LAYOUT = {"font": {"family": FONT}, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}}
COMMUNITY_COLOURS = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
    "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac",
)  # fmt: skip
"""One colour per 社区 on the 街道 map (Tableau 10: told apart also in grey print)."""
MONTH_AXIS = {"type": "date", "tickformat": MONTH_TICKS, "hoverformat": MONTH_TICKS}
"""The trend charts' month axis: 「2026年1月」, never plotly's 「Jan 2026」."""
BAR_ROOM = 2.2
"""A breakdown's axis runs to this multiple of its longest bar: the label beside it fits."""
POINT_COLOURS = {
    "party_station": "#c0392b",
    "clinic": "#16a085",
    "police": "#2c3e50",
    "service_centre": "#8e44ad",
}


def point_groups(
    points: Sequence[ServicePointView],
) -> list[tuple[str, str, list[ServicePointView]]]:
    """Service points by kind: (label, marker colour, points) — one legend entry per kind."""
    groups: dict[str, list[ServicePointView]] = {}
    for p in points:
        groups.setdefault(p.kind, []).append(p)
    return [(ms[0].label, POINT_COLOURS.get(kind, "#555555"), ms) for kind, ms in groups.items()]


def map_style() -> str:
    """The configured map style: ``MINQING_MAP_STYLE`` or the offline ``white-bg``."""
    return os.environ.get("MINQING_MAP_STYLE", "").strip() or DEFAULT_MAP_STYLE


def _ratio_text(ratio: Ratio, unit: str) -> str:
    return f"{ratio.percent()}（{ratio.numerator:,}/{ratio.denominator:,} {unit}）"


def _centre_and_zoom(
    cells: Sequence[CellFigures], geojson: dict[str, Any]
) -> tuple[dict[str, float], float]:
    lons: list[float] = []
    lats: list[float] = []
    for feature in geojson.get("features", []):
        geometry = feature["geometry"]
        rings = geometry["coordinates"]
        polygons = rings if geometry["type"] == "MultiPolygon" else [rings]
        for polygon in polygons:
            for lon, lat, *_ in polygon[0]:
                lons.append(lon)
                lats.append(lat)
    if not lons:
        return {"lat": 28.2, "lon": 112.9}, 12.0
    span = max(max(lons) - min(lons), (max(lats) - min(lats)) * 1.4, 1e-4)
    # MapLibre zoom: 360° at zoom 0 over ~512 px; the map is ~900 px wide.
    zoom = 0.0
    while 360 / 2**zoom * (700 / 512) > span and zoom < 19:
        zoom += 0.25
    centre = {"lat": (min(lats) + max(lats)) / 2, "lon": (min(lons) + max(lons)) / 2}
    return centre, zoom - 0.75


def _hover(cells: Sequence[CellFigures]) -> list[str]:
    """Each cell's hover text: its names and figures (numbers and admin names only)."""
    return [
        "<br>".join(
            [
                f"<b>{html.escape(c.community)} · {html.escape(c.name)}</b>",
                f"在办 {c.open_cases:,} 件，逾期 {c.overdue:,} 件",
                f"受理 {c.accepted:,} 件，解决率 {_ratio_text(c.resolution, '件')}",
                f"走访覆盖率 {_ratio_text(c.coverage, '户')}",
                f"帮扶人次 {c.assistance_persons:,}",
            ]
        )
        for c in cells
    ]


def _cells_layer(
    cells: Sequence[CellFigures], geojson: dict[str, Any], selected: int | None, **trace: Any
) -> go.Choroplethmap:
    """The polygons of ``cells`` (the selected one outlined), with hover text."""
    return go.Choroplethmap(
        geojson=geojson,
        locations=[c.cell_id for c in cells],
        featureidkey="id",
        marker={
            "opacity": 0.65,
            "line": {
                "width": [3 if c.cell_id == selected else 0.8 for c in cells],
                "color": "#333333",
            },
        },
        customdata=_hover(cells),
        hovertemplate="%{customdata}<extra></extra>",
        **trace,
    )


def _only(geojson: dict[str, Any], cells: Sequence[CellFigures]) -> dict[str, Any]:
    """The features of ``cells`` only (a drill-down centres on one 社区)."""
    ids = {c.cell_id for c in cells}
    return {**geojson, "features": [f for f in geojson.get("features", []) if f.get("id") in ids]}


def grid_map(
    cells: Sequence[CellFigures],
    geojson: dict[str, Any],
    points: Sequence[ServicePointView],
    *,
    measure: str,
    selected: int | None = None,
) -> go.Figure:
    """The grid map: polygons coloured by ``measure``, hover in Chinese, service points on top."""
    geojson = _only(geojson, cells)
    scale = "Blues" if measure in {"resolution", "coverage", "assistance_persons"} else "OrRd"
    layer = _cells_layer(
        cells,
        geojson,
        selected,
        z=[c.measure(measure) for c in cells],
        colorscale=scale,
        colorbar={"title": {"text": MAP_MEASURES[measure]}},
        name="网格",
        showlegend=False,
    )
    return _map_figure([layer], cells, geojson, points)


def community_map(
    cells: Sequence[CellFigures],
    geojson: dict[str, Any],
    points: Sequence[ServicePointView],
    *,
    selected: int | None = None,
) -> go.Figure:
    """The 街道 map: each 社区's cells in one colour of their own, the legend names the 社区."""
    geojson = _only(geojson, cells)
    by_community: dict[int, list[CellFigures]] = {}
    for c in cells:
        by_community.setdefault(c.community_id, []).append(c)
    layers = []
    for index, members in enumerate(by_community.values()):
        colour = COMMUNITY_COLOURS[index % len(COMMUNITY_COLOURS)]
        layers.append(
            _cells_layer(
                members,
                geojson,
                selected,
                z=[index] * len(members),
                colorscale=[[0, colour], [1, colour]],
                showscale=False,
                name=html.escape(members[0].community),
                legendgroup=str(members[0].community_id),
                showlegend=True,
            )
        )
    return _map_figure(layers, cells, geojson, points)


def _map_figure(
    layers: Sequence[go.Choroplethmap],
    cells: Sequence[CellFigures],
    geojson: dict[str, Any],
    points: Sequence[ServicePointView],
) -> go.Figure:
    """The map of ``layers`` with the service points on top, centred on ``geojson``."""
    centre, zoom = _centre_and_zoom(cells, geojson)
    figure = go.Figure(list(layers))
    for label, colour, members in point_groups(points):
        figure.add_trace(
            go.Scattermap(
                lat=[p.latitude for p in members],
                lon=[p.longitude for p in members],
                mode="markers",
                marker={"size": 11, "color": colour},
                name=html.escape(label),
                hovertext=[f"{html.escape(p.label)}：{html.escape(p.name)}" for p in members],
                hoverinfo="text",
                showlegend=True,
            )
        )
    figure.update_layout(
        **LAYOUT,
        height=560,
        map={"style": map_style(), "center": centre, "zoom": zoom},
        legend={"orientation": "h", "y": -0.02, "title": {"text": ""}},
        clickmode="event+select",
    )
    return figure


def trend_counts(trend: Sequence[MonthFigures]) -> go.Figure:
    """受理 vs 已解决 per month (已解决 = 解决率's numerator)."""
    months = [m.label for m in trend]
    figure = go.Figure(
        [
            go.Bar(name="受理件数", x=months, y=[m.accepted for m in trend]),
            go.Bar(name="已解决", x=months, y=[m.resolution.numerator for m in trend]),
        ]
    )
    figure.update_layout(
        **LAYOUT, barmode="group", height=320, title="每月受理与解决", xaxis=MONTH_AXIS
    )
    return figure


def trend_rates(trend: Sequence[MonthFigures]) -> go.Figure:
    """解决率 and 满意率 per month, hover with counts."""
    months = [m.label for m in trend]

    def series(name: str, ratios: list[Ratio], unit: str) -> go.Scatter:
        return go.Scatter(
            name=name,
            x=months,
            y=[None if r.rate is None else round(r.rate * 100, 1) for r in ratios],
            mode="lines+markers",
            hovertext=[f"{name} {_ratio_text(r, unit)}" for r in ratios],
            hoverinfo="text+x",
        )

    figure = go.Figure(
        [
            series("解决率", [m.resolution for m in trend], "件"),
            series("满意率", [m.satisfaction for m in trend], "次"),
        ]
    )
    figure.update_layout(
        **LAYOUT,
        height=320,
        title="每月解决率与满意率（%）",
        yaxis={"range": [0, 105]},
        xaxis=MONTH_AXIS,
    )
    return figure


def breakdown_bars(groups: Sequence[GroupFigures], title: str) -> go.Figure:
    """受理件数 per group with 解决率 as the bar label (beside the bar, never clipped)."""
    longest = max((g.accepted for g in groups), default=0)
    figure = go.Figure(
        go.Bar(
            x=[g.accepted for g in groups],
            y=[html.escape(g.label) for g in groups],
            orientation="h",
            text=[f"{g.accepted:,} 件 · 解决率 {g.resolution.percent()}" for g in groups],
            textposition="outside",
            cliponaxis=False,
            hovertext=[
                f"{g.accepted:,} 件 · 解决率 {_ratio_text(g.resolution, '件')}" for g in groups
            ],
            hoverinfo="text",
        )
    )
    figure.update_layout(
        **LAYOUT,
        height=max(220, 36 * len(groups) + 80),
        title=title,
        yaxis={"autorange": "reversed"},
        xaxis={"range": [0, max(1, longest) * BAR_ROOM]},
    )
    return figure


def level_bars(levels: Sequence[tuple[str, int]]) -> go.Figure:
    """Cases resolved per level: 小事不出社区、大事不出街道、难事不出区."""
    figure = go.Figure(
        go.Bar(
            x=[label for label, _ in levels],
            y=[n for _, n in levels],
            text=[f"{n:,}" for _, n in levels],
            textposition="outside",
            cliponaxis=False,
        )
    )
    figure.update_layout(**LAYOUT, height=300, title="化解层级（本期已解决件数）")
    return figure
