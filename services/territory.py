"""The territory: where a record is made (the checks every recording form shares), and its
set-up by an admin — 街道, 社区, grid cells (create, rename, merge, split, retire), the 1+2+X
people, buildings, boundaries and the schematic map. Every change appends a RecordChange."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from db.models import (
    Building,
    Community,
    GridCell,
    GridCollector,
    Household,
    Person,
    Subdistrict,
)
from db.queries.access import OUT_OF_UNIT, sees_cell
from domain import geo
from domain.boundary_plan import BoundaryPlan
from domain.roles import Actor, Role
from services.history import record_change


@dataclass
class Place:
    """The cell and household a form named, and field → Chinese message for what is wrong."""

    cell: GridCell | None
    household: Household | None
    errors: dict[str, str] = field(default_factory=dict)


def check_place(
    session: Session,
    *,
    grid_cell_id: int | None,
    household_id: int | None,
    actor: Actor,
    out_of_scope: str,
) -> Place:
    """The named cell must exist and be the actor's; the household must lie in that cell."""
    place = Place(session.get(GridCell, grid_cell_id) if grid_cell_id is not None else None, None)
    if grid_cell_id is not None and place.cell is None:
        place.errors["grid_cell_id"] = "所选网格不存在"
    elif place.cell is not None and not sees_cell(actor, place.cell):
        place.errors["grid_cell_id"] = (
            out_of_scope if actor.sees_community(place.cell.community_id) else OUT_OF_UNIT
        )
    if household_id is not None:
        place.household = session.get(Household, household_id)
        cell = place.cell
        if place.household is None or (
            cell is not None and place.household.grid_cell_id != cell.id
        ):
            place.errors["household_id"] = "所选住户不在该网格内"
    return place


# ---------------------------------------------------------------- setting up the territory


class TerritoryError(ValueError):
    """A refused territory change; the message is Chinese."""


MAX_NAME = 60
MAX_CODE = 20


def _admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise TerritoryError("只有管理员可以修改网格")


def _text(value: str, what: str, limit: int) -> str:
    clean = " ".join(value.split())
    if not clean:
        raise TerritoryError(f"请填写{what}")
    if len(clean) > limit:
        raise TerritoryError(f"{what}不能超过 {limit} 字")
    return clean


def _cell_fields(cell: GridCell) -> dict[str, Any]:
    return {
        "code": cell.code,
        "name": cell.name,
        "community_id": cell.community_id,
        "leader_id": cell.leader_id,
        "position": cell.position,
        "retired_at": cell.retired_at,
        "successor_id": cell.successor_id,
    }


def _log(
    session: Session,
    actor: Actor,
    now: dt.datetime,
    entity: str,
    entity_id: int,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    record_change(
        session, entity=entity, entity_id=entity_id, action=action, before=before, after=after,
        username=actor.username, now=now,
    )  # fmt: skip


def _changed(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def create_subdistrict(
    session: Session, *, actor: Actor, name: str, now: dt.datetime
) -> Subdistrict:
    """Name the 街道 (one per deployment: a second call renames it)."""
    _admin(actor)
    clean = _text(name, "街道名称", MAX_NAME)
    sub = session.scalar(select(Subdistrict).order_by(Subdistrict.id))
    if sub is None:
        sub = Subdistrict(name=clean)
        session.add(sub)
        session.flush()
        _log(session, actor, now, "subdistrict", sub.id, "create", None, {"name": clean})
    elif sub.name != clean:
        _log(
            session,
            actor,
            now,
            "subdistrict",
            sub.id,
            "rename",
            {"name": sub.name},
            {"name": clean},
        )
        sub.name = clean
    session.commit()
    return sub


def create_community(
    session: Session, *, actor: Actor, name: str, code: str, now: dt.datetime
) -> Community:
    """Add a 社区 with a unique name and code to the 街道."""
    _admin(actor)
    sub = session.scalar(select(Subdistrict).order_by(Subdistrict.id))
    if sub is None:
        raise TerritoryError("请先填写街道名称")
    clean, clean_code = _text(name, "社区名称", MAX_NAME), _text(code, "社区编码", MAX_CODE)
    if session.scalar(select(Community.id).where(Community.name == clean)) is not None:
        raise TerritoryError(f"社区「{clean}」已存在")
    if session.scalar(select(Community.id).where(Community.code == clean_code)) is not None:
        raise TerritoryError(f"社区编码「{clean_code}」已被使用")
    community = Community(subdistrict_id=sub.id, name=clean, code=clean_code)
    session.add(community)
    session.flush()
    _log(session, actor, now, "community", community.id, "create", None,
         {"name": clean, "code": clean_code})  # fmt: skip
    session.commit()
    return community


def rename_community(
    session: Session, *, actor: Actor, community_id: int, name: str, now: dt.datetime
) -> None:
    """Rename a 社区 (its code stays: it is the key of files and case numbers)."""
    _admin(actor)
    community = _community(session, community_id)
    clean = _text(name, "社区名称", MAX_NAME)
    clash = session.scalar(select(Community.id).where(Community.name == clean))
    if clash is not None and clash != community.id:
        raise TerritoryError(f"社区「{clean}」已存在")
    if clean != community.name:
        _log(session, actor, now, "community", community.id, "rename",
             {"name": community.name}, {"name": clean})  # fmt: skip
        community.name = clean
    session.commit()


def _community(session: Session, community_id: int) -> Community:
    community = session.get(Community, community_id)
    if community is None:
        raise TerritoryError("所选社区不存在")
    return community


def _cell(session: Session, cell_id: int, *, active: bool = True) -> GridCell:
    cell = session.get(GridCell, cell_id)
    if cell is None:
        raise TerritoryError("所选网格不存在")
    if active and cell.retired_at is not None:
        raise TerritoryError(f"网格「{cell.name}」已停用")
    return cell


def _person(session: Session, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    person = session.get(Person, person_id)
    if person is None or person.retired_at is not None:
        raise TerritoryError("所选人员不存在")
    return person


def _new_cell(
    session: Session, community: Community, code: str, name: str, now: dt.datetime
) -> GridCell:
    clean_code, clean = _text(code, "网格编码", MAX_CODE), _text(name, "网格名称", MAX_NAME)
    if session.scalar(select(GridCell.id).where(GridCell.code == clean_code)) is not None:
        raise TerritoryError(f"网格编码「{clean_code}」已被使用")
    clash = session.scalar(
        select(GridCell.id).where(
            GridCell.community_id == community.id, GridCell.name == clean,
            GridCell.retired_at.is_(None),
        )
    )  # fmt: skip
    if clash is not None:
        raise TerritoryError(f"{community.name}已有网格「{clean}」")
    last = session.scalar(
        select(func.max(GridCell.position)).where(GridCell.community_id == community.id)
    )
    placeholder = geo.schematic_layout([geo.Block(community.name, (0,))])[0]
    lat, lon = geo.center(placeholder)
    cell = GridCell(
        community_id=community.id, code=clean_code, name=clean,
        boundary_geojson=json.dumps(placeholder), center_lat=lat, center_lon=lon,
        position=(last or 0) + 1,
    )  # fmt: skip
    session.add(cell)
    session.flush()
    return cell


def create_cell(
    session: Session, *, actor: Actor, community_id: int, code: str, name: str, now: dt.datetime
) -> GridCell:
    """Add a grid cell at the end of its 社区's order, on the schematic map until a boundary comes."""
    _admin(actor)
    cell = _new_cell(session, _community(session, community_id), code, name, now)
    _log(session, actor, now, "grid_cell", cell.id, "create", None, _cell_fields(cell))
    relayout(session)
    session.commit()
    return cell


def rename_cell(
    session: Session, *, actor: Actor, cell_id: int, name: str, now: dt.datetime
) -> None:
    """Rename a grid cell (unique among the active cells of its 社区)."""
    _admin(actor)
    cell = _cell(session, cell_id)
    clean = _text(name, "网格名称", MAX_NAME)
    clash = session.scalar(
        select(GridCell.id).where(
            GridCell.community_id == cell.community_id, GridCell.name == clean,
            GridCell.retired_at.is_(None), GridCell.id != cell.id,
        )
    )  # fmt: skip
    if clash is not None:
        raise TerritoryError(f"{cell.community.name}已有网格「{clean}」")
    if clean != cell.name:
        _log(session, actor, now, "grid_cell", cell.id, "rename", {"name": cell.name},
             {"name": clean})  # fmt: skip
        cell.name = clean
    session.commit()


def set_cell_people(
    session: Session,
    *,
    actor: Actor,
    cell_id: int,
    leader_id: int | None,
    collector_ids: Sequence[int],
    now: dt.datetime,
) -> None:
    """The 1+2 of the 1+2+X rule: one 片长 and exactly two 民情搜集义务人 (none while unknown)."""
    _admin(actor)
    cell = _cell(session, cell_id)
    _person(session, leader_id)
    chosen = sorted(set(collector_ids))
    if len(chosen) != len(collector_ids):
        raise TerritoryError("两名民情搜集义务人不能是同一人")
    if chosen and len(chosen) != 2:
        raise TerritoryError(f"网格「{cell.name}」须有两名民情搜集义务人")
    if leader_id is not None and leader_id in chosen:
        raise TerritoryError("片长不能同时是民情搜集义务人")
    for pid in chosen:
        _person(session, pid)
    old = sorted(session.scalars(
        select(GridCollector.person_id).where(GridCollector.grid_cell_id == cell.id)
    ))  # fmt: skip
    before = {"leader_id": cell.leader_id, "collector_ids": old}
    after = {"leader_id": leader_id, "collector_ids": chosen}
    if before == after:
        return
    cell.leader_id = leader_id
    if old != chosen:
        session.execute(delete(GridCollector).where(GridCollector.grid_cell_id == cell.id))
        session.add_all(GridCollector(grid_cell_id=cell.id, person_id=pid) for pid in chosen)
    _log(session, actor, now, "grid_cell", cell.id, "people", *_changed(before, after))
    session.commit()


def add_building(
    session: Session,
    *,
    actor: Actor,
    cell_id: int,
    name: str,
    head_person_id: int | None,
    now: dt.datetime,
) -> Building:
    """Add a 楼栋 to a cell, with its 楼栋长 (the X of 1+2+X)."""
    _admin(actor)
    cell = _cell(session, cell_id)
    clean = _text(name, "楼栋名称", 30)
    _person(session, head_person_id)
    if session.scalar(
        select(Building.id).where(Building.grid_cell_id == cell.id, Building.name == clean)
    ) is not None:  # fmt: skip
        raise TerritoryError(f"网格「{cell.name}」已有楼栋「{clean}」")
    building = Building(grid_cell_id=cell.id, name=clean, head_person_id=head_person_id)
    session.add(building)
    session.flush()
    _log(session, actor, now, "building", building.id, "create", None,
         {"grid_cell_id": cell.id, "name": clean, "head_person_id": head_person_id})  # fmt: skip
    session.commit()
    return building


def update_building(
    session: Session,
    *,
    actor: Actor,
    building_id: int,
    name: str,
    head_person_id: int | None,
    retire: bool,
    now: dt.datetime,
) -> None:
    """Rename a 楼栋, change its 楼栋长, or retire it (never deleted)."""
    _admin(actor)
    building = session.get(Building, building_id)
    if building is None or building.retired_at is not None:
        raise TerritoryError("所选楼栋不存在")
    clean = _text(name, "楼栋名称", 30)
    _person(session, head_person_id)
    clash = session.scalar(select(Building.id).where(
        Building.grid_cell_id == building.grid_cell_id, Building.name == clean,
        Building.id != building.id,
    ))  # fmt: skip
    if clash is not None:
        raise TerritoryError(f"该网格已有楼栋「{clean}」")
    before = {"name": building.name, "head_person_id": building.head_person_id, "retired_at": None}
    after = {"name": clean, "head_person_id": head_person_id, "retired_at": now if retire else None}
    old, new = _changed(before, after)
    if not new:
        return
    building.name, building.head_person_id = clean, head_person_id
    building.retired_at = now if retire else None
    _log(session, actor, now, "building", building.id, "retire" if retire else "update", old, new)
    session.commit()


def _retire(
    session: Session, actor: Actor, cell: GridCell, successor: GridCell, action: str,
    now: dt.datetime,
) -> None:  # fmt: skip
    before = _cell_fields(cell)
    cell.retired_at, cell.successor_id = now, successor.id
    _log(session, actor, now, "grid_cell", cell.id, action, *_changed(before, _cell_fields(cell)))


def merge_cells(
    session: Session,
    *,
    actor: Actor,
    cell_ids: Sequence[int],
    code: str,
    name: str,
    now: dt.datetime,
) -> GridCell:
    """Merge cells of one 社区 into a new cell; the merged ones retire with it as successor.

    Their cases and households keep their cell id. The new boundary is the union of the drawn
    boundaries (schematic if none was drawn).
    """
    _admin(actor)
    cells = [_cell(session, cid) for cid in dict.fromkeys(cell_ids)]
    if len(cells) < 2:
        raise TerritoryError("请选择至少两个网格合并")
    if len({c.community_id for c in cells}) != 1:
        raise TerritoryError("只能合并同一社区的网格")
    merged = _new_cell(session, cells[0].community, code, name, now)
    merged.position = min(c.position or 0 for c in cells)
    drawn = [json.loads(c.boundary_geojson) for c in cells]
    if not any(geo.is_schematic(g) for g in drawn):
        _set_boundary(merged, geo.union(drawn))
    _log(session, actor, now, "grid_cell", merged.id, "create", None,
         {**_cell_fields(merged), "merged_from": [c.id for c in cells]})  # fmt: skip
    for cell in cells:
        _retire(session, actor, cell, merged, "merge", now)
    relayout(session)
    session.commit()
    return merged


def split_cell(
    session: Session,
    *,
    actor: Actor,
    cell_id: int,
    parts: Sequence[tuple[str, str]],
    now: dt.datetime,
) -> list[GridCell]:
    """Split a cell into new cells (code, name); the old one retires with the first as successor.

    The new cells start on the schematic map; upload their boundaries afterwards.
    """
    _admin(actor)
    cell = _cell(session, cell_id)
    if len(parts) < 2:
        raise TerritoryError("拆分须至少填写两个新网格")
    made = [_new_cell(session, cell.community, code, name, now) for code, name in parts]
    for index, new in enumerate(made):
        new.position = (cell.position or 0) + index
        _log(session, actor, now, "grid_cell", new.id, "create", None,
             {**_cell_fields(new), "split_from": cell.id})  # fmt: skip
    _retire(session, actor, cell, made[0], "split", now)
    relayout(session)
    session.commit()
    return made


def retire_cell(session: Session, *, actor: Actor, cell_id: int, now: dt.datetime) -> None:
    """Take a cell out of use without a successor (its cases keep it)."""
    _admin(actor)
    cell = _cell(session, cell_id)
    before = _cell_fields(cell)
    cell.retired_at = now
    _log(session, actor, now, "grid_cell", cell.id, "retire", *_changed(before, _cell_fields(cell)))
    relayout(session)
    session.commit()


def reorder_cells(
    session: Session, *, actor: Actor, community_id: int, order: Sequence[int], now: dt.datetime
) -> None:
    """Set the schematic-map order of a 社区's active cells (``order``: cell ids, first first)."""
    _admin(actor)
    active = {
        c.id: c
        for c in session.scalars(select(GridCell).where(
            GridCell.community_id == community_id, GridCell.retired_at.is_(None)
        ))
    }  # fmt: skip
    if sorted(order) != sorted(active):
        raise TerritoryError("顺序须包含该社区的每个网格各一次")
    for position, cid in enumerate(order, start=1):
        cell = active[cid]
        if cell.position != position:
            _log(session, actor, now, "grid_cell", cid, "reorder", {"position": cell.position},
                 {"position": position})  # fmt: skip
            cell.position = position
    relayout(session)
    session.commit()


def _set_boundary(cell: GridCell, geometry: geo.Geometry) -> None:
    cell.boundary_geojson = json.dumps(geometry, ensure_ascii=False)
    cell.center_lat, cell.center_lon = geo.center(geometry)


def relayout(session: Session) -> None:
    """Redraw the schematic squares of every active cell without a drawn boundary.

    Each 社区 is a block in cell order (position, then code), east of the drawn cells.
    """
    cells = session.scalars(
        select(GridCell)
        .join(Community, Community.id == GridCell.community_id)
        .where(GridCell.retired_at.is_(None))
        .order_by(Community.code, GridCell.position, GridCell.code)
    ).all()
    shapes = {c.id: json.loads(c.boundary_geojson) for c in cells}
    drawn = [g for g in shapes.values() if not geo.is_schematic(g)]
    blocks: dict[str, list[int]] = {}
    for c in cells:
        if geo.is_schematic(shapes[c.id]):
            blocks.setdefault(c.community.code, []).append(c.id)
    layout = geo.schematic_layout(
        [geo.Block(code, tuple(ids)) for code, ids in blocks.items()], geo.east_of(drawn)
    )
    for c in cells:
        if c.id in layout and layout[c.id] != shapes[c.id]:
            _set_boundary(c, layout[c.id])


def apply_boundaries(
    session: Session,
    *,
    actor: Actor,
    plan: BoundaryPlan,
    now: dt.datetime,
) -> int:
    """Write a previewed boundary plan: create its new cells, set every matched boundary.

    Refused whole if the plan has problems. Returns the number of boundaries written.
    """
    _admin(actor)
    if plan.problems:
        raise TerritoryError(plan.problems[0])
    community = _community(session, plan.community_id)
    for row in plan.rows:
        if row.cell_id is None:
            cell = _new_cell(session, community, row.code, row.name, now)
            _log(session, actor, now, "grid_cell", cell.id, "create", None, _cell_fields(cell))
        else:
            cell = _cell(session, row.cell_id)
        before = cell.boundary_geojson
        _set_boundary(cell, row.geometry)
        if before != cell.boundary_geojson:
            _log(session, actor, now, "grid_cell", cell.id, "boundary",
                 {"boundary": json.loads(before)}, {"boundary": row.geometry})  # fmt: skip
    session.flush()
    relayout(session)
    session.commit()
    return len(plan.rows)
