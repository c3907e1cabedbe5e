"""Boundary files, coordinate systems, boundary problems (Chinese) and the schematic layout."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import shape

from domain import geo
from domain.boundary_files import read_boundaries
from domain.boundary_plan import KnownCell, plan_boundaries
from tests.helpers.boundary_files import geojson_gcj02, kml, kmz, ring, shapefile_zip


def plan(data: bytes, filename: str, *, key: str = "名称", crs=geo.Crs.WGS84, cells=()):
    return plan_boundaries(
        read_boundaries(filename, data), key=key, crs=crs, community_id=1,
        community_code="C1", community_name="文盛社区", cells=list(cells),
    )  # fmt: skip


def test_gcj02_and_bd09_points_convert_to_wgs84():
    # 长沙: WGS-84 (113.0, 28.2) is GCJ-02 (113.0056423, 28.1966486), BD-09 (113.012158, 28.2025711)
    lon, lat = geo.to_wgs84(113.0056423, 28.1966486, geo.Crs.GCJ02)
    assert lon == pytest.approx(113.0, abs=1e-6) and lat == pytest.approx(28.2, abs=1e-6)
    lon, lat = geo.to_wgs84(113.012158, 28.2025711, geo.Crs.BD09)
    assert lon == pytest.approx(113.0, abs=1e-6) and lat == pytest.approx(28.2, abs=1e-6)
    assert geo.to_wgs84(113.0, 28.2, geo.Crs.WGS84) == (113.0, 28.2)


def test_geojson_in_gcj02_lands_on_the_wgs84_square():
    result = plan(geojson_gcj02(["第一网格"]), "cells.geojson", crs=geo.Crs.GCJ02)
    assert result.problems == ()
    (row,) = result.rows
    assert (row.cell_id, row.code, row.name) == (None, "C1-01", "第一网格")
    drawn = shape(row.geometry)
    assert (
        drawn.symmetric_difference(shape({"type": "Polygon", "coordinates": [ring(0)]})).area < 1e-8
    )
    assert geo.center(row.geometry) == pytest.approx((28.201, 113.001), abs=1e-6)


@pytest.mark.parametrize(
    ("filename", "data", "key"),
    [
        ("奥维.kml", kml(["第一网格", "第二网格"]), "name"),
        ("earth.kmz", kmz(["第一网格", "第二网格"]), "name"),
        ("qgis.zip", shapefile_zip(["第一网格", "第二网格"]), "名称"),
        ("utf8.zip", shapefile_zip(["第一网格", "第二网格"], encoding="utf-8"), "名称"),
    ],
)
def test_kml_kmz_and_shapefile_give_named_polygons(filename, data, key):
    cells = [
        KnownCell(7, 1, "C1-07", "第二网格", json.loads('{"type":"Polygon","coordinates":[]}'))
    ]
    result = plan(data, filename, key=key, cells=cells)
    assert result.problems == ()
    assert [(r.label, r.cell_id, r.code) for r in result.rows] == [
        ("第一网格", None, "C1-01"),
        ("第二网格", 7, "C1-07"),
    ]
    assert shape(result.rows[1].geometry).area == pytest.approx(0.002 * 0.002, rel=1e-6)


BOWTIE = [[113.0, 28.2], [113.002, 28.202], [113.002, 28.2], [113.0, 28.202], [113.0, 28.2]]
FLAT = [[113.0, 28.2], [113.001, 28.2], [113.002, 28.2], [113.0, 28.2]]
HALF_OVER = [[x + 0.001, y] for x, y in ring(0)]


@pytest.mark.parametrize(
    ("rings", "message"),
    [
        ([BOWTIE], "网格「甲」的边界自相交"),
        ([FLAT], "网格「甲」的边界面积为零"),
        ([ring(0), HALF_OVER], "网格「甲」的边界与网格「乙」重叠"),
    ],
)
def test_bad_polygons_are_refused_naming_the_cell(rings, message):
    result = plan(kml(["甲", "乙"][: len(rings)], rings), "x.kml", key="name")
    assert result.problems == (message,)


def test_touching_cells_and_slop_under_the_tolerance_are_not_overlaps():
    slop = [[x - 0.00001, y] for x, y in ring(1)]  # 0.5 % of the area over the neighbour
    assert plan(kml(["甲", "乙"], [ring(0), slop]), "x.kml", key="name").problems == ()


def test_an_existing_drawn_cell_counts_for_overlap():
    old = KnownCell(3, 1, "C1-03", "老网格", {"type": "Polygon", "coordinates": [HALF_OVER]})
    result = plan(kml(["甲"]), "x.kml", key="name", cells=[old])
    assert result.problems == ("网格「甲」的边界与网格「老网格」重叠",)


def test_file_level_problems_have_chinese_reasons():
    other = KnownCell(9, 2, "C2-01", "甲", {"type": "Polygon", "coordinates": [ring(5)]})
    assert plan(kml(["甲"]), "x.kml", key="name", cells=[other]).problems == ()
    by_code = plan(kml(["C2-01"]), "x.kml", key="name", cells=[other])
    assert by_code.problems == ("网格「C2-01」属于其他社区",)
    assert plan(kml(["甲", "甲"]), "x.kml", key="name").problems == (
        "文件中网格「甲」出现了不止一次",
    )
    assert plan(kml(["甲"]), "x.kml", key="编号").problems == (
        "第 1 个边界缺少「编号」，无法对应网格",
    )
    cases = [
        ("x.txt", b"", "请上传 GeoJSON、KML、KMZ 或压缩的 Shapefile（.zip）"),
        ("x.geojson", b"{not json", "文件不是有效的 GeoJSON"),
        ("x.geojson", b'{"type":"Point","coordinates":[1,2]}', "文件中没有多边形边界"),
        ("x.kml", b"<kml><Placemark>", "文件不是有效的 KML"),
        ("x.zip", b"PK no zip", "文件不是有效的压缩包"),
        (
            "x.zip",
            shapefile_zip(["甲"], prj='PROJCS["CGCS2000_3_Degree_GK_CM_114E"]'),
            "Shapefile 使用了投影坐标，请导出为经纬度坐标（WGS-84 / GCJ-02 / BD-09）",
        ),
    ]
    for filename, data, message in cases:
        with pytest.raises(geo.BoundaryError) as caught:
            read_boundaries(filename, data)
        assert str(caught.value) == message


def test_kml_with_an_entity_bomb_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]><kml>&a;</kml>'
    with pytest.raises(geo.BoundaryError, match="文件不是有效的 KML"):
        read_boundaries("x.kml", bomb)


def test_schematic_layout_is_a_near_square_block_per_community_in_order():
    layout = geo.schematic_layout([geo.Block("A", (11, 12, 13, 14, 15)), geo.Block("B", (21,))])
    assert set(layout) == {11, 12, 13, 14, 15, 21}
    west = {k: shape(g).bounds for k, g in layout.items()}
    lon0, lat0 = geo.SCHEMATIC_ORIGIN
    # 5 cells → 3 columns, 2 rows; the first cell at the north-west, read row by row
    assert west[11][:2] == pytest.approx((lon0, lat0 + geo.SCHEMATIC_DLAT))
    assert west[13][:2] == pytest.approx((lon0 + 2 * geo.SCHEMATIC_DLON, lat0 + geo.SCHEMATIC_DLAT))
    assert west[14][:2] == pytest.approx((lon0, lat0))
    # the next 社区 starts after one empty column
    assert west[21][0] == pytest.approx(lon0 + 4 * geo.SCHEMATIC_DLON)
    assert all(geo.is_schematic(g) for g in layout.values())
    assert geo.overlaps(layout_named := {str(k): g for k, g in layout.items()}) == []
    assert len(layout_named) == 6
