"""Map legends and the wall map: one legend entry per service-point kind in its marker colour;
the deck's map is dark from the first paint and names every cell."""

from __future__ import annotations

import plotly.graph_objects as go

from db.queries.dashboard import CellFigures, ServicePointView
from domain.kpis import Ratio
from domain.reference import ServicePointKind
from ui.dashboard_charts import POINT_COLOURS, community_map, grid_map
from ui.slide_charts import SCREEN, map_figure

SQUARE = [[112.90, 28.20], [112.91, 28.20], [112.91, 28.21], [112.90, 28.21], [112.90, 28.20]]


def _cell(cell_id: int, name: str, open_cases: int) -> CellFigures:
    return CellFigures(
        cell_id=cell_id, code=f"G{cell_id}", name=name, community="文盛社区", community_id=1,
        accepted=10, resolution=Ratio(8, 10), open_cases=open_cases, overdue=1, households=30,
        visits=5, coverage=Ratio(5, 30), assistance_persons=2,
    )  # fmt: skip


CELLS = [_cell(1, "第一网格", 12), _cell(2, "第二网格", 3)]
GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "id": i, "properties": {},
         "geometry": {"type": "Polygon", "coordinates": [[[x + 0.01 * (i - 1), y] for x, y in SQUARE]]}}
        for i in (1, 2)
    ],
}  # fmt: skip
POINTS = [
    ServicePointView(kind=k.value, label=k.label, name=f"{k.label}{n}", latitude=28.205,
                     longitude=112.905 + 0.001 * n)
    for n, k in enumerate([*ServicePointKind, ServicePointKind.CLINIC])
]  # fmt: skip
EXPECTED = {k.label: POINT_COLOURS[k.value] for k in ServicePointKind}


def legend(fig: go.Figure) -> dict[str, str]:
    """Legend entries of the service-point traces: name → the one marker colour they use."""
    shown = {}
    for trace in fig.data:
        if trace.showlegend and trace.name in EXPECTED:
            colour = trace.marker.color
            assert isinstance(colour, str), (trace.name, colour)
            shown[trace.name] = colour
    return shown


def test_dashboard_maps_have_one_legend_entry_per_kind() -> None:
    for fig in (
        grid_map(CELLS, GEOJSON, POINTS, measure="open_cases"),
        community_map(CELLS, GEOJSON, POINTS),
    ):
        assert legend(fig) == EXPECTED
        assert not any(t.name == "服务站点" for t in fig.data)


def test_wall_map_is_dark_named_and_has_one_legend_entry_per_kind() -> None:
    fig = map_figure(CELLS, GEOJSON, SCREEN, points=POINTS)
    assert legend(fig) == EXPECTED
    assert fig.layout.paper_bgcolor == SCREEN.background
    assert fig.layout.plot_bgcolor == SCREEN.background
    texts = [t for t in fig.data if t.mode == "text"]
    assert len(texts) == 1
    assert [s.split("<br>")[0] for s in texts[0].text] == ["第一网格", "第二网格"]
    # Plain shapes, no map tiles: nothing is white before the tiles load, nothing is fetched.
    assert not any(isinstance(t, (go.Choroplethmap, go.Scattermap)) for t in fig.data)


def test_wall_map_names_cells_by_the_part_before_the_dot() -> None:
    """「第3网格·幸福小区」 is 「第3网格」 on the wall map: long names overlapped their neighbours."""
    cells = [_cell(1, "第3网格·幸福小区东区", 12), _cell(2, "第4网格·长塘里", 3)]
    fig = map_figure(cells, GEOJSON, SCREEN, points=POINTS)
    texts = next(t for t in fig.data if t.mode == "text")
    assert list(texts.text) == ["第3网格<br>12 件", "第4网格<br>3 件"]
