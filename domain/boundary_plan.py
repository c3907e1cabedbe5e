"""The preview of a boundary upload: which feature goes to which cell, new cells, problems.

Pure: the caller passes the features read from the file and the cells the 街道 has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from domain import geo
from domain.boundary_files import Feature


@dataclass(frozen=True)
class KnownCell:
    """A grid cell as the matcher sees it; a retired one only keeps its code taken."""

    id: int
    community_id: int
    code: str
    name: str
    geometry: geo.Geometry
    retired: bool = False


@dataclass(frozen=True)
class PlanRow:
    """One feature of the file: the cell it sets (None: a new cell to create) and its polygon."""

    label: str
    cell_id: int | None
    code: str
    name: str
    geometry: geo.Geometry


@dataclass(frozen=True)
class BoundaryPlan:
    """What confirming the upload would write, and every problem that forbids it (Chinese)."""

    community_id: int
    rows: tuple[PlanRow, ...]
    problems: tuple[str, ...] = field(default=())


def _next_code(prefix: str, taken: set[str]) -> str:
    n = 1
    while f"{prefix}-{n:02d}" in taken:
        n += 1
    code = f"{prefix}-{n:02d}"
    taken.add(code)
    return code


def plan_boundaries(
    features: Sequence[Feature],
    *,
    key: str,
    crs: geo.Crs,
    community_id: int,
    community_code: str,
    community_name: str,
    cells: Sequence[KnownCell],
    code_key: str | None = None,
    name_key: str | None = None,
    community_key: str | None = None,
) -> BoundaryPlan:
    """Match each feature to a cell by the ``key`` property (a cell's name in the 社区 or its code).

    Unmatched features become new cells (code from ``code_key`` if given, else the next free
    「社区编码-NN」; name from ``name_key`` if given, else the matched value). With ``community_key``, only features naming this 社区 (name or code) count.
    """
    taken = {c.code for c in cells}
    cells = [c for c in cells if not c.retired]
    own = [c for c in cells if c.community_id == community_id]
    by_name = {c.name: c for c in own}
    by_code = {c.code: c for c in cells}
    rows: list[PlanRow] = []
    problems: list[str] = []
    seen: set[str] = set()
    for index, feature in enumerate(features, start=1):
        if community_key and feature.properties.get(community_key, "") not in (
            community_code,
            community_name,
        ):
            continue
        label = feature.properties.get(key, "").strip()
        if not label:
            problems.append(f"第 {index} 个边界缺少「{key}」，无法对应网格")
            continue
        if label in seen:
            problems.append(f"文件中网格「{label}」出现了不止一次")
            continue
        seen.add(label)
        cell = by_code.get(label) or by_name.get(label)
        if cell is not None and cell.community_id != community_id:
            problems.append(f"网格「{label}」属于其他社区")
            continue
        try:
            geometry = geo.convert(feature.geometry, crs)
        except geo.BoundaryError as exc:
            problems.append(f"网格「{label}」：{exc}")
            continue
        if geo.is_schematic(feature.geometry) or feature.properties.get(geo.SCHEMATIC) == "True":
            geometry[geo.SCHEMATIC] = True
        if cell is not None:
            rows.append(PlanRow(label, cell.id, cell.code, cell.name, geometry))
            continue
        wanted = feature.properties.get(code_key, "").strip() if code_key else ""
        if wanted and wanted in taken:
            problems.append(f"网格编码「{wanted}」已被使用")
            continue
        code = wanted or _next_code(community_code, taken)
        taken.add(code)
        name = (feature.properties.get(name_key, "").strip() if name_key else "") or label
        rows.append(PlanRow(label, None, code, name, geometry))
    if not rows and not problems:
        problems.append(f"文件中没有属于{community_name}的边界")
    for row in rows:
        found = geo.problem(row.geometry, row.name)
        if found:
            problems.append(found)
    if not problems:
        problems.extend(_overlaps(rows, own))
    return BoundaryPlan(community_id, tuple(rows), tuple(problems))


def _overlaps(rows: Sequence[PlanRow], own: Sequence[KnownCell]) -> list[str]:
    replaced = {r.cell_id for r in rows}
    named = {r.name: r.geometry for r in rows if not geo.is_schematic(r.geometry)}
    for cell in own:
        if cell.id not in replaced and not geo.is_schematic(cell.geometry):
            named.setdefault(cell.name, cell.geometry)
    return geo.overlaps(named)
