"""The territory as its admin sees it: 社区 and cells with their 1+2+X people, buildings and
boundaries, the set-up progress, and the boundary export."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    Building,
    Community,
    GridCell,
    GridCollector,
    Household,
    Person,
    ServicePoint,
    Subdistrict,
    User,
)
from domain import geo
from domain.boundary_plan import KnownCell
from domain.roles import Role


@dataclass(frozen=True)
class BuildingRow:
    """A 楼栋 with its 楼栋长."""

    id: int
    name: str
    head_id: int | None
    head: str
    retired: bool


@dataclass(frozen=True)
class CellAdminRow:
    """A grid cell on the 网格管理 page."""

    id: int
    community_id: int
    community: str
    code: str
    name: str
    position: int | None
    leader_id: int | None
    leader: str
    collector_ids: tuple[int, ...]
    collectors: tuple[str, ...]
    buildings: tuple[BuildingRow, ...]
    schematic: bool
    retired_at: dt.datetime | None
    successor: str


def subdistrict_name(session: Session) -> str | None:
    """The 街道's name, or None before it is set up."""
    return session.scalar(select(Subdistrict.name).order_by(Subdistrict.id))


def communities(session: Session) -> list[tuple[int, str, str]]:
    """Every 社区 as (id, name, code), in code order."""
    stmt = select(Community.id, Community.name, Community.code).order_by(Community.code)
    return [(cid, name, code) for cid, name, code in session.execute(stmt).tuples()]


def person_choices(session: Session) -> dict[int, str]:
    """Active people as id → "name（社区）" for the 片长 / 义务人 / 楼栋长 pickers."""
    stmt = (
        select(Person.id, Person.name, Community.name)
        .outerjoin(Community, Community.id == Person.community_id)
        .where(Person.retired_at.is_(None))
        .order_by(Person.name, Person.id)
    )
    return {
        pid: f"{name}（{community}）" if community else name
        for pid, name, community in session.execute(stmt).tuples()
    }


def territory_cells(session: Session) -> list[CellAdminRow]:
    """Every cell, active and retired, in 社区 code then map order."""
    names = dict(session.execute(select(Person.id, Person.name)).tuples().all())
    collectors: dict[int, list[int]] = {}
    for cid, pid in session.execute(
        select(GridCollector.grid_cell_id, GridCollector.person_id).order_by(
            GridCollector.person_id
        )
    ).tuples():
        collectors.setdefault(cid, []).append(pid)
    buildings: dict[int, list[BuildingRow]] = {}
    for b in session.scalars(select(Building).order_by(Building.grid_cell_id, Building.name)):
        head = names.get(b.head_person_id, "") if b.head_person_id else ""
        buildings.setdefault(b.grid_cell_id, []).append(
            BuildingRow(b.id, b.name, b.head_person_id, head, b.retired_at is not None)
        )
    cell_names = dict(session.execute(select(GridCell.id, GridCell.name)).tuples().all())
    stmt = (
        select(GridCell, Community.name)
        .join(Community, Community.id == GridCell.community_id)
        .order_by(
            Community.code, GridCell.retired_at.is_not(None), GridCell.position, GridCell.code
        )
    )
    rows = []
    for cell, community in session.execute(stmt).tuples():
        pids = tuple(collectors.get(cell.id, ()))
        rows.append(
            CellAdminRow(
                id=cell.id,
                community_id=cell.community_id,
                community=community,
                code=cell.code,
                name=cell.name,
                position=cell.position,
                leader_id=cell.leader_id,
                leader=names.get(cell.leader_id, "") if cell.leader_id else "",
                collector_ids=pids,
                collectors=tuple(names.get(p, "") for p in pids),
                buildings=tuple(buildings.get(cell.id, ())),
                schematic=geo.is_schematic(json.loads(cell.boundary_geojson)),
                retired_at=cell.retired_at,
                successor=cell_names.get(cell.successor_id, "") if cell.successor_id else "",
            )
        )
    return rows


def known_cells(session: Session) -> list[KnownCell]:
    """Every cell with its boundary (retired ones flagged), for matching a boundary file."""
    stmt = select(
        GridCell.id, GridCell.community_id, GridCell.code, GridCell.name, GridCell.boundary_geojson,
        GridCell.retired_at.is_not(None),
    )  # fmt: skip
    return [
        KnownCell(cid, community, code, name, json.loads(boundary), bool(retired))
        for cid, community, code, name, boundary, retired in session.execute(stmt).tuples()
    ]


def boundary_export(session: Session) -> dict[str, object]:
    """Every active cell's boundary as a WGS-84 GeoJSON FeatureCollection (社区, then map order)."""
    stmt = (
        select(
            Community.name, Community.code, GridCell.code, GridCell.name, GridCell.boundary_geojson
        )
        .join(Community, Community.id == GridCell.community_id)
        .where(GridCell.retired_at.is_(None))
        .order_by(Community.code, GridCell.position, GridCell.code)
    )
    return geo.feature_collection(
        geo.ExportCell(community, ccode, code, name, json.loads(boundary))
        for community, ccode, code, name, boundary in session.execute(stmt).tuples()
    )


@dataclass(frozen=True)
class SetupStep:
    """One step of the 初始化向导: what it is, how many exist, what is still missing."""

    title: str
    count: int
    missing: str


def _count(session: Session, model: type, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def setup_steps(session: Session) -> list[SetupStep]:
    """The set-up steps in order with their counts; ``missing`` is empty once a step is done."""
    sub = subdistrict_name(session)
    n_comm = _count(session, Community)
    n_cells = _count(session, GridCell, GridCell.retired_at.is_(None))
    empty = _count(session, Community, ~Community.id.in_(
        select(GridCell.community_id).where(GridCell.retired_at.is_(None))
    ))  # fmt: skip
    n_people = _count(session, Person, Person.retired_at.is_(None))
    n_households = _count(session, Household, Household.retired_at.is_(None))
    n_points = _count(session, ServicePoint, ServicePoint.retired_at.is_(None))
    n_users = _count(session, User, User.role != Role.ADMIN.value)
    return [
        SetupStep("街道与社区", n_comm, "" if sub and n_comm else
                  ("尚未填写街道名称" if not sub else "尚未添加社区")),
        SetupStep("网格", n_cells, "尚未添加网格" if not n_cells else
                  (f"{empty} 个社区还没有网格" if empty else "")),
        SetupStep("人员", n_people, "" if n_people else "尚未导入人员"),
        SetupStep("住户", n_households, "" if n_households else "尚未导入住户"),
        SetupStep("服务阵地", n_points, "" if n_points else "尚未导入服务阵地"),
        SetupStep("用户", n_users, "" if n_users else "除管理员外尚无用户"),
    ]  # fmt: skip


def needs_setup(session: Session) -> bool:
    """True while the 街道 has no 社区 (a fresh production database)."""
    return not _count(session, Community)
