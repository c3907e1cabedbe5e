"""Reading boundary files: GeoJSON, KML, KMZ (奥维互动地图, Google Earth) and a zipped Shapefile.

Pure: bytes in, features (properties + polygon as read, not yet converted) out. XML is parsed with
defusedxml (the files come from outside).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

import shapefile
from defusedxml import ElementTree

from domain.geo import BoundaryError, Geometry

MAX_FEATURES = 2000
SUFFIXES = ("geojson", "json", "kml", "kmz", "zip")


@dataclass(frozen=True)
class Feature:
    """One polygon of a boundary file with its text properties (name, code, …)."""

    properties: dict[str, str]
    geometry: Geometry


def _polygonal(geometry: Any) -> Geometry | None:
    if isinstance(geometry, dict) and geometry.get("type") in ("Polygon", "MultiPolygon"):
        return {"type": geometry["type"], "coordinates": geometry.get("coordinates")}
    return None


def _text_props(props: Any) -> dict[str, str]:
    if not isinstance(props, dict):
        return {}
    return {str(k): str(v).strip() for k, v in props.items() if v is not None}


def read_geojson(data: bytes) -> list[Feature]:
    """Polygon features of a GeoJSON FeatureCollection, Feature or bare geometry."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BoundaryError("文件不是有效的 GeoJSON") from exc
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        items = doc.get("features") or []
    elif isinstance(doc, dict) and doc.get("type") == "Feature":
        items = [doc]
    else:
        items = [{"type": "Feature", "properties": {}, "geometry": doc}]
    features = []
    for item in items:
        geometry = _polygonal(item.get("geometry") if isinstance(item, dict) else None)
        if geometry is not None:
            features.append(Feature(_text_props(item.get("properties")), geometry))
    return features


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(node: Element, name: str) -> list[Element]:
    return [e for e in node.iter() if _local(e.tag) == name]


def _ring(node: Element) -> list[list[float]]:
    coords = next((e for e in node.iter() if _local(e.tag) == "coordinates"), None)
    points = []
    for chunk in (coords.text or "").split() if coords is not None else []:
        parts = chunk.split(",")
        try:
            points.append([float(parts[0]), float(parts[1])])
        except (IndexError, ValueError) as exc:
            raise BoundaryError(f"KML 坐标「{chunk[:30]}」无法识别") from exc
    return points


def _kml_polygon(node: Element) -> list[list[list[float]]]:
    rings: list[list[list[float]]] = []
    for part in node:
        if _local(part.tag) in ("outerBoundaryIs", "innerBoundaryIs"):
            ring = _ring(part)
            if _local(part.tag) == "outerBoundaryIs":
                rings.insert(0, ring)
            else:
                rings.append(ring)
    return rings


def _kml_props(placemark: Element) -> dict[str, str]:
    props: dict[str, str] = {}
    for child in placemark:
        if _local(child.tag) in ("name", "description") and child.text:
            props[_local(child.tag)] = child.text.strip()
    for data in _children(placemark, "Data"):
        value = next((e.text for e in data if _local(e.tag) == "value"), None)
        if data.get("name") and value:
            props[str(data.get("name"))] = value.strip()
    for data in _children(placemark, "SimpleData"):
        if data.get("name") and data.text:
            props[str(data.get("name"))] = data.text.strip()
    return props


def read_kml(data: bytes) -> list[Feature]:
    """Placemarks with a Polygon (or several, in a MultiGeometry) of a KML document."""
    try:
        root = ElementTree.fromstring(data)
    except Exception as exc:  # defusedxml raises ParseError or its own refusal
        raise BoundaryError("文件不是有效的 KML") from exc
    features = []
    for placemark in _children(root, "Placemark"):
        polygons = [_kml_polygon(p) for p in _children(placemark, "Polygon")]
        polygons = [p for p in polygons if p]
        if not polygons:
            continue
        geometry: Geometry = (
            {"type": "Polygon", "coordinates": polygons[0]}
            if len(polygons) == 1
            else {"type": "MultiPolygon", "coordinates": polygons}
        )
        features.append(Feature(_kml_props(placemark), geometry))
    return features


def _zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise BoundaryError("文件不是有效的压缩包") from exc


def read_kmz(data: bytes) -> list[Feature]:
    """The KML inside a KMZ (doc.kml, or the first .kml in the archive)."""
    archive = _zip(data)
    names = [n for n in archive.namelist() if n.lower().endswith(".kml")]
    if not names:
        raise BoundaryError("KMZ 中没有 KML 文件")
    name = "doc.kml" if "doc.kml" in names else names[0]
    return read_kml(archive.read(name))


def _dbf_encoding(archive: zipfile.ZipFile, stem: str) -> list[str]:
    cpg = next((n for n in archive.namelist() if n.lower() == f"{stem}.cpg"), None)
    declared = archive.read(cpg).decode("ascii", "ignore").strip() if cpg else ""
    return [declared] if declared else ["utf-8", "gbk"]


def read_shapefile_zip(data: bytes) -> list[Feature]:
    """Polygons of the Shapefile inside a zip (.shp, .shx, .dbf; .prj must be longitude/latitude)."""
    archive = _zip(data)
    shp = next((n for n in archive.namelist() if n.lower().endswith(".shp")), None)
    if shp is None:
        raise BoundaryError("压缩包中没有 .shp 文件")
    stem = shp[:-4].lower()
    parts = {n.lower()[len(stem) :]: n for n in archive.namelist() if n.lower().startswith(stem)}
    if ".dbf" not in parts:
        raise BoundaryError("压缩包中缺少 .dbf 属性表")
    if ".prj" in parts and "PROJCS" in archive.read(parts[".prj"]).decode("utf-8", "ignore"):
        raise BoundaryError(
            "Shapefile 使用了投影坐标，请导出为经纬度坐标（WGS-84 / GCJ-02 / BD-09）"
        )
    for encoding in _dbf_encoding(archive, stem):
        try:
            reader = shapefile.Reader(
                shp=io.BytesIO(archive.read(shp)),
                dbf=io.BytesIO(archive.read(parts[".dbf"])),
                shx=io.BytesIO(archive.read(parts[".shx"])) if ".shx" in parts else None,
                encoding=encoding,
            )
            records = list(reader.iterShapeRecords())
        except (UnicodeDecodeError, shapefile.dbfFileException):
            continue
        except shapefile.ShapefileException as exc:
            raise BoundaryError("Shapefile 无法读取") from exc
        features = []
        for item in records:
            geometry = _polygonal(item.shape.__geo_interface__)
            if geometry is not None:
                geometry = json.loads(json.dumps(geometry))  # tuples → lists
                features.append(Feature(_text_props(item.record.as_dict()), geometry))
        return features
    raise BoundaryError("Shapefile 属性表的编码无法识别")


def read_boundaries(filename: str, data: bytes) -> list[Feature]:
    """The polygons of a boundary file, chosen by its suffix; refused with a Chinese message."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    readers = {
        "geojson": read_geojson,
        "json": read_geojson,
        "kml": read_kml,
        "kmz": read_kmz,
        "zip": read_shapefile_zip,
    }
    if suffix not in readers:
        raise BoundaryError("请上传 GeoJSON、KML、KMZ 或压缩的 Shapefile（.zip）")
    features = readers[suffix](data)
    if not features:
        raise BoundaryError("文件中没有多边形边界")
    if len(features) > MAX_FEATURES:
        raise BoundaryError(f"文件中的边界超过 {MAX_FEATURES} 个")
    return features


def property_names(features: list[Feature]) -> list[str]:
    """The property names the features carry, in first-seen order (for the match-by picker)."""
    seen: dict[str, None] = {}
    for feature in features:
        for key in feature.properties:
            seen.setdefault(key, None)
    return list(seen)
