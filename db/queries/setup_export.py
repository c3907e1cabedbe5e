"""The whole setup as the 导出全部设置 writes it: 街道, 社区, cells (retired ones too) with their
1+2+X people and buildings, the people, households and service points in use, the calendar
notices — and what an 导入设置 needs to know (is the database empty, which cells a row may name)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    Building,
    CalendarDay,
    Community,
    GridCell,
    GridCollector,
    Household,
    HouseholdTag,
    Person,
    ServicePoint,
    Subdistrict,
)
from db.queries.territory_admin import boundary_export
from domain import geo
from domain.roles import Actor


@dataclass(frozen=True)
class PersonRow:
    """A person in use (the 人员名册 row and what the 网格 sheet refers to)."""

    id: int
    community_code: str
    name: str
    kind: str
    phone: str | None
    title: str | None
    party_branch: str | None
    party_group: str | None
    joined_party_on: dt.date | None
    party_status: str | None
    service_scope: str | None
    service_post: str | None


@dataclass(frozen=True)
class CellRow:
    """A grid cell, active or retired, with its 片长, 民情搜集义务人 and successor's code."""

    community_code: str
    code: str
    name: str
    position: int | None
    leader_id: int | None
    collector_ids: tuple[int, ...]
    retired: bool
    successor_code: str | None


@dataclass(frozen=True)
class BuildingRow:
    """A 楼栋 with its 楼栋长 (None when none or no longer in use)."""

    cell_code: str
    name: str
    head_id: int | None
    retired: bool


@dataclass(frozen=True)
class HouseholdRow:
    """A household in use with the cell it lies in and its tags."""

    community_code: str
    cell_code: str
    cell_name: str
    cell_retired: bool
    head_name: str
    building: str
    unit: str | None
    room: str | None
    address: str | None
    members: int
    phone: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class PointRow:
    """A service point in use."""

    community_code: str
    name: str
    kind: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class SetupSnapshot:
    """Everything 导出全部设置 writes (the actor's unit only), boundaries as GeoJSON."""

    subdistrict: str | None
    communities: tuple[tuple[str, str], ...]
    """(name, code) in code order."""
    cells: tuple[CellRow, ...]
    buildings: tuple[BuildingRow, ...]
    people: tuple[PersonRow, ...]
    households: tuple[HouseholdRow, ...]
    points: tuple[PointRow, ...]
    calendar: tuple[tuple[dt.date, bool, str], ...]
    boundaries: dict[str, object]
    retired_boundaries: dict[str, object]
    """The drawn boundaries of retired cells (kept apart: a boundary upload of 网格管理 would
    take their codes for new cells)."""


def setup_snapshot(session: Session, *, actor: Actor) -> SetupSnapshot:
    """The setup of every 社区 in the actor's unit (a 社区 admin: that 社区 only)."""
    comms = [
        (cid, name, code)
        for cid, name, code in session.execute(
            select(Community.id, Community.name, Community.code).order_by(Community.code)
        ).tuples()
        if actor.sees_community(cid)
    ]
    ids = [cid for cid, _, _ in comms]
    codes = {cid: code for cid, _, code in comms}
    name_of = {cid: name for cid, name, _ in comms}
    people = tuple(
        PersonRow(
            p.id,
            codes[p.community_id],
            p.name,
            p.kind,
            p.phone,
            p.title,
            p.party_branch,
            p.party_group,
            p.joined_party_on,
            p.party_status,
            p.service_scope,
            p.service_post,
        )
        for p in session.scalars(
            select(Person)
            .where(Person.community_id.in_(ids), Person.retired_at.is_(None))
            .order_by(Person.community_id, Person.kind, Person.id)
        )
        if p.community_id is not None
    )
    live = {p.id for p in people}
    cell_rows = session.scalars(
        select(GridCell)
        .where(GridCell.community_id.in_(ids))
        .order_by(
            GridCell.community_id,
            GridCell.retired_at.is_not(None),
            GridCell.position,
            GridCell.code,
        )
    ).all()
    cell_codes = dict(session.execute(select(GridCell.id, GridCell.code)).tuples().all())
    collectors: dict[int, list[int]] = {}
    for cell_id, pid in session.execute(
        select(GridCollector.grid_cell_id, GridCollector.person_id).order_by(
            GridCollector.person_id
        )
    ).tuples():
        collectors.setdefault(cell_id, []).append(pid)
    cells = tuple(
        CellRow(
            codes[c.community_id],
            c.code,
            c.name,
            c.position,
            c.leader_id if c.leader_id in live else None,
            tuple(p for p in collectors.get(c.id, ()) if p in live),
            c.retired_at is not None,
            cell_codes.get(c.successor_id) if c.successor_id else None,
        )
        for c in sorted(
            cell_rows,
            key=lambda c: (
                codes[c.community_id],
                c.retired_at is not None,
                c.position or 0,
                c.code,
            ),
        )
    )
    in_unit = {c.id for c in cell_rows}
    buildings = tuple(
        BuildingRow(
            cell_codes[b.grid_cell_id],
            b.name,
            b.head_person_id if b.head_person_id in live else None,
            b.retired_at is not None,
        )
        for b in session.scalars(
            select(Building).join(GridCell).order_by(GridCell.code, Building.name, Building.id)
        )
        if b.grid_cell_id in in_unit
    )
    tags: dict[int, list[str]] = {}
    for hid, tag in session.execute(
        select(HouseholdTag.household_id, HouseholdTag.tag).order_by(HouseholdTag.tag)
    ).tuples():
        tags.setdefault(hid, []).append(tag)
    households = tuple(
        HouseholdRow(
            codes[community_id],
            cell.code,
            cell.name,
            cell.retired_at is not None,
            h.head_name,
            h.building,
            h.unit,
            h.room,
            h.address,
            h.members,
            h.phone,
            tuple(tags.get(h.id, ())),
        )
        for h, cell, community_id in session.execute(
            select(Household, GridCell, GridCell.community_id)
            .join(GridCell, GridCell.id == Household.grid_cell_id)
            .where(GridCell.community_id.in_(ids), Household.retired_at.is_(None))
            .order_by(GridCell.community_id, GridCell.code, Household.id)
        ).tuples()
    )
    points = tuple(
        PointRow(codes[p.community_id], p.name, p.kind, p.latitude, p.longitude)
        for p in session.scalars(
            select(ServicePoint)
            .where(ServicePoint.community_id.in_(ids), ServicePoint.retired_at.is_(None))
            .order_by(ServicePoint.community_id, ServicePoint.id)
        )
    )
    calendar = tuple(
        (day, bool(workday), name)
        for day, workday, name in session.execute(
            select(CalendarDay.day, CalendarDay.is_workday, CalendarDay.name).order_by(
                CalendarDay.day
            )
        ).tuples()
    )
    boundaries = boundary_export(session)
    own = set(codes.values())
    features = boundaries.get("features")
    assert isinstance(features, list)
    boundaries = {
        **boundaries,
        "features": [f for f in features if f["properties"].get("社区编码") in own],
    }
    retired = geo.feature_collection(
        geo.ExportCell(name_of[c.community_id], codes[c.community_id], c.code, c.name, shape)
        for c in sorted(cell_rows, key=lambda c: c.code)
        if c.retired_at is not None
        and not geo.is_schematic(shape := json.loads(c.boundary_geojson))
    )
    return SetupSnapshot(
        session.scalar(select(Subdistrict.name).order_by(Subdistrict.id)),
        tuple((name, code) for _, name, code in comms),
        cells,
        buildings,
        people,
        households,
        points,
        calendar,
        boundaries,
        retired,
    )


def setup_is_empty(session: Session) -> bool:
    """True while nothing of a setup is stored: no 社区, cell, person, household or service point."""
    return not any(
        session.scalar(select(func.count()).select_from(model))
        for model in (Community, GridCell, Person, Household, ServicePoint)
    )


def community_ids(session: Session) -> dict[str, int]:
    """社区 code → id."""
    return dict(session.execute(select(Community.code, Community.id)).tuples().all())


def cell_ids(session: Session) -> dict[str, int]:
    """Cell code → id, retired cells included."""
    return dict(session.execute(select(GridCell.code, GridCell.id)).tuples().all())


def household_cell_names(session: Session, *, community_id: int) -> dict[str, int]:
    """What a household row of the export may name as 所属网格 in this 社区: active cells by
    name or code, retired cells by code (their households stay in them)."""
    names: dict[str, int] = {}
    for ident, code, name, retired in session.execute(
        select(GridCell.id, GridCell.code, GridCell.name, GridCell.retired_at.is_not(None))
        .where(GridCell.community_id == community_id)
        .order_by(GridCell.id)
    ).tuples():
        if not retired:
            names[name] = ident
        names[code] = ident
    return names


def people_in_use(session: Session) -> list[tuple[int, str, str | None, str, str]]:
    """Every person in use as (id, name, phone, kind, 社区 code): what the 网格 and 楼栋 sheets'
    names resolve to."""
    return [
        (pid, name, phone, kind, code or "")
        for pid, name, phone, kind, code in session.execute(
            select(Person.id, Person.name, Person.phone, Person.kind, Community.code)
            .outerjoin(Community, Community.id == Person.community_id)
            .where(Person.retired_at.is_(None))
            .order_by(Person.id)
        ).tuples()
    ]
