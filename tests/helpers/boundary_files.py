"""Boundary files built in the test: GeoJSON (GCJ-02), KML, KMZ and a zipped Shapefile."""

from __future__ import annotations

import io
import json
import zipfile

import coordTransform
import shapefile

LON, LAT = 113.0, 28.2
SIZE = 0.002


def ring(col: int, lon: float = LON, lat: float = LAT) -> list[list[float]]:
    """A closed square ring (WGS-84), the ``col``-th square east of (lon, lat)."""
    x = lon + col * SIZE
    return [[x, lat], [x + SIZE, lat], [x + SIZE, lat + SIZE], [x, lat + SIZE], [x, lat]]


def geojson_gcj02(names: list[str], *, first: int = 0) -> bytes:
    """Squares side by side, their WGS-84 corners converted to GCJ-02 (as 高德 exports them)."""
    features = [
        {
            "type": "Feature",
            "properties": {"名称": name},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[coordTransform.wgs84_to_gcj02(x, y) for x, y in ring(first + i)]],
            },
        }
        for i, name in enumerate(names)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def kml(names: list[str], rings: list[list[list[float]]] | None = None, *, first: int = 0) -> bytes:
    """A KML document as 奥维 / Google Earth writes it: one Placemark with a Polygon per cell."""
    marks = []
    for i, name in enumerate(names):
        points = rings[i] if rings else ring(first + i)
        coords = " ".join(f"{x},{y},0" for x, y in points)
        marks.append(
            f'<Placemark><name>{name}</name><ExtendedData><Data name="编码"><value>K-{i + 1}'
            f"</value></Data></ExtendedData><Polygon><outerBoundaryIs><LinearRing><coordinates>"
            f"{coords}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{''.join(marks)}</Document></kml>"
    ).encode()


def kmz(names: list[str], *, first: int = 0) -> bytes:
    """The KML zipped as doc.kml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("doc.kml", kml(names, first=first))
    return out.getvalue()


WGS84_PRJ = (
    'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
)


def shapefile_zip(
    names: list[str], *, prj: str = WGS84_PRJ, encoding: str = "gbk", first: int = 0
) -> bytes:
    """A zipped Shapefile (.shp, .shx, .dbf in GBK, .prj) of squares with a 名称 field."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(
        shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding=encoding
    ) as w:
        w.field("名称", "C", 40)
        for i, name in enumerate(names):
            w.poly([list(reversed(ring(first + i)))])  # shapefile outer rings run clockwise
            w.record(name)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("cells.shp", shp.getvalue())
        archive.writestr("cells.shx", shx.getvalue())
        archive.writestr("cells.dbf", dbf.getvalue())
        archive.writestr("cells.prj", prj)
    return out.getvalue()


SHIPPED = {
    "文盛社区_高德GCJ02.geojson": lambda: geojson_gcj02(["第一网格", "第二网格"], first=0),
    "中和社区_奥维.kml": lambda: kml(["第一网格", "第二网格"], first=3),
    "荷花池社区_GoogleEarth.kmz": lambda: kmz(["第一网格", "第二网格"], first=6),
    "桂花园社区_QGIS.zip": lambda: shapefile_zip(["第一网格", "第二网格"], first=9),
}
"""The boundary files shipped under tests/data/boundaries/ (one 社区 each, side by side)."""
