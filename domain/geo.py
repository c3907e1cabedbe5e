"""Grid-cell boundaries: coordinate systems, validation, centres, the schematic layout, export.

Pure: polygons are GeoJSON geometry dicts (Polygon / MultiPolygon, WGS-84 lon/lat).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import coordTransform
from shapely import make_valid
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import explain_validity

Geometry = dict[str, Any]
"""A GeoJSON geometry object (Polygon or MultiPolygon)."""

SCHEMATIC = "schematic"
"""Foreign member marking a generated (schematic) boundary: ``{"type": "Polygon", …, "schematic": true}``."""

OVERLAP_TOLERANCE = 0.01
"""Two cells of a 社区 may share up to 1 % of the smaller one's area (drawing slop) before it counts."""

# The schematic map: square cells of about 300 m × 290 m, 社区 blocks side by side to the east.
SCHEMATIC_ORIGIN = (112.9820, 28.1890)
SCHEMATIC_DLON, SCHEMATIC_DLAT = 0.0030, 0.0026


class Crs(StrEnum):
    """The coordinate system a boundary file was drawn in."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"

    @property
    def label(self) -> str:
        """The Chinese name with the maps that use it."""
        return {
            Crs.WGS84: "WGS-84（GPS、奥维、Google Earth、QGIS）",
            Crs.GCJ02: "GCJ-02（高德、腾讯）",
            Crs.BD09: "BD-09（百度）",
        }[self]


class BoundaryError(ValueError):
    """A boundary file or polygon that cannot be used; the message is Chinese."""


def _gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    # The library's inverse is one step (about 2 m off); refine it against its exact forward.
    x, y = (float(v) for v in coordTransform.gcj02_to_wgs84(lon, lat))
    for _ in range(4):
        fx, fy = (float(v) for v in coordTransform.wgs84_to_gcj02(x, y))
        x, y = x + lon - fx, y + lat - fy
    return x, y


def to_wgs84(lon: float, lat: float, crs: Crs) -> tuple[float, float]:
    """One point converted from ``crs`` to WGS-84 with the maintained ``coordTransform`` formulas."""
    if crs is Crs.WGS84:
        return lon, lat
    if crs is Crs.BD09:
        lon, lat = (float(v) for v in coordTransform.bd09_to_gcj02(lon, lat))
    x, y = _gcj02_to_wgs84(lon, lat)
    return round(x, 7), round(y, 7)


def _map_rings(geometry: Geometry, crs: Crs) -> Geometry:
    def ring(points: Sequence[Sequence[float]]) -> list[list[float]]:
        return [list(to_wgs84(float(p[0]), float(p[1]), crs)) for p in points]

    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [ring(r) for r in geometry["coordinates"]]}
    return {
        "type": "MultiPolygon",
        "coordinates": [[ring(r) for r in poly] for poly in geometry["coordinates"]],
    }


def convert(geometry: Geometry, crs: Crs) -> Geometry:
    """The polygon with every vertex converted to WGS-84 (a copy, without foreign members)."""
    if geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise BoundaryError("边界只能是多边形（Polygon / MultiPolygon）")
    return _map_rings(geometry, crs)


def _shape(geometry: Mapping[str, Any]) -> BaseGeometry:
    return shape({"type": geometry["type"], "coordinates": geometry["coordinates"]})


def problem(geometry: Geometry, cell: str) -> str | None:
    """Why ``geometry`` is not a usable boundary of the cell named ``cell``, or None."""
    try:
        polygon = _shape(geometry)
    except (KeyError, TypeError, ValueError, IndexError):
        return f"网格「{cell}」的边界不是有效的多边形"
    if polygon.is_empty or make_valid(polygon).area == 0:
        return f"网格「{cell}」的边界面积为零"
    if not polygon.is_valid:
        reason = explain_validity(polygon)
        if "Self-intersection" in reason or "Ring Self-intersection" in reason:
            return f"网格「{cell}」的边界自相交"
        return f"网格「{cell}」的边界不是有效的多边形"
    return None


def overlaps(named: Mapping[str, Geometry], *, tolerance: float = OVERLAP_TOLERANCE) -> list[str]:
    """A Chinese message for each pair of cells whose polygons overlap beyond ``tolerance``."""
    shapes = [(name, make_valid(_shape(g))) for name, g in named.items()]
    found: list[str] = []
    for i, (a, sa) in enumerate(shapes):
        for b, sb in shapes[i + 1 :]:
            if not sa.intersects(sb):
                continue
            shared = sa.intersection(sb).area
            if shared > tolerance * min(sa.area, sb.area):
                found.append(f"网格「{a}」的边界与网格「{b}」重叠")
    return found


def center(geometry: Geometry) -> tuple[float, float]:
    """(lat, lon) of the cell's label point: the centroid, or a point inside if that lies outside."""
    polygon = _shape(geometry)
    point = polygon.centroid
    if not polygon.contains(point):
        point = polygon.representative_point()
    return round(point.y, 6), round(point.x, 6)


def union(geometries: Iterable[Geometry]) -> Geometry:
    """The merged polygon of several cells (a MultiPolygon when they do not touch)."""
    merged = unary_union([make_valid(_shape(g)) for g in geometries])
    out: Geometry = dict(mapping(merged))
    out["coordinates"] = json.loads(json.dumps(out["coordinates"]))  # tuples → lists
    return out


def is_schematic(geometry: Mapping[str, Any]) -> bool:
    """True for a generated schematic boundary (no real map drawn yet)."""
    return bool(geometry.get(SCHEMATIC))


def _square(lon: float, lat: float) -> Geometry:
    ring = [
        [lon, lat],
        [lon + SCHEMATIC_DLON, lat],
        [lon + SCHEMATIC_DLON, lat + SCHEMATIC_DLAT],
        [lon, lat + SCHEMATIC_DLAT],
        [lon, lat],
    ]
    return {
        "type": "Polygon",
        "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]],
        SCHEMATIC: True,
    }


@dataclass(frozen=True)
class Block:
    """One 社区's cells for the schematic map: their keys in map order (by position)."""

    community: str
    cells: tuple[int, ...]


def block_columns(count: int) -> int:
    """Columns of a 社区's block: the smallest near-square grid holding ``count`` cells."""
    return max(1, math.ceil(math.sqrt(count)))


def schematic_layout(
    blocks: Sequence[Block], origin: tuple[float, float] = SCHEMATIC_ORIGIN
) -> dict[int, Geometry]:
    """Cell key → square polygon: each 社区 a near-square block, row by row from the north-west,
    blocks side by side from west to east with one empty column between them."""
    lon0, lat0 = origin
    out: dict[int, Geometry] = {}
    column = 0
    for block in blocks:
        cols = block_columns(len(block.cells))
        rows = math.ceil(len(block.cells) / cols) if block.cells else 0
        for index, key in enumerate(block.cells):
            row, col = divmod(index, cols)
            out[key] = _square(
                lon0 + (column + col) * SCHEMATIC_DLON,
                lat0 + (rows - 1 - row) * SCHEMATIC_DLAT,
            )
        column += cols + 1 if block.cells else 0
    return out


def east_of(geometries: Iterable[Geometry]) -> tuple[float, float]:
    """A schematic origin just east of the drawn cells (so schematic blocks do not cover them)."""
    shapes = [_shape(g) for g in geometries]
    if not shapes:
        return SCHEMATIC_ORIGIN
    _, miny, maxx, _ = unary_union(shapes).bounds
    return round(maxx + 2 * SCHEMATIC_DLON, 6), round(miny, 6)


@dataclass(frozen=True)
class ExportCell:
    """One cell as the boundary export writes it."""

    community: str
    community_code: str
    code: str
    name: str
    geometry: Geometry


def feature_collection(cells: Iterable[ExportCell]) -> dict[str, Any]:
    """The cells as a WGS-84 GeoJSON FeatureCollection, with 社区/网格 names and codes as properties."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "社区": c.community,
                    "社区编码": c.community_code,
                    "编码": c.code,
                    "名称": c.name,
                    **({SCHEMATIC: True} if is_schematic(c.geometry) else {}),
                },
                "geometry": {"type": c.geometry["type"], "coordinates": c.geometry["coordinates"]},
            }
            for c in cells
        ],
    }
