"""基础数据 reads: what a roster import would meet (cells, stored keys), the lists, the counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Community, GridCell, Household, HouseholdTag, Person, ServicePoint
from domain.roles import Actor
from domain.rosters import PERSON_KIND_LABELS, Roster, kind_label
from domain.validation import mask_name, mask_phone

_KEYED: dict[Roster, type[Household] | type[Person] | type[ServicePoint]] = {
    Roster.HOUSEHOLDS: Household,
    Roster.PEOPLE: Person,
    Roster.SERVICE_POINTS: ServicePoint,
}


def community_cells(session: Session, *, community_id: int) -> dict[str, int]:
    """Names (and codes) of the 社区's grid cells in use → id: what a row's 所属网格 may name."""
    rows = session.execute(
        select(GridCell.name, GridCell.code, GridCell.id).where(
            GridCell.community_id == community_id, GridCell.retired_at.is_(None)
        )
    ).all()
    names = {name: ident for name, _, ident in rows}
    names.update({code: ident for _, code, ident in rows})
    return names


def stored_keys(session: Session, *, roster: Roster) -> set[str]:
    """Every ``roster_key`` already stored for ``roster`` (keys embed the 社区)."""
    model = _KEYED[roster]
    return set(session.scalars(select(model.roster_key).where(model.roster_key.is_not(None))))


@dataclass(frozen=True)
class RosterCounts:
    """What a 社区 has: people, households, service points (those in use)."""

    community_id: int
    community: str
    people: int
    households: int
    service_points: int


def roster_counts(session: Session) -> list[RosterCounts]:
    """Per 社区, the people, households and service points in use (for the setup wizard)."""
    people = dict(
        session.execute(
            select(Person.community_id, func.count())
            .where(Person.retired_at.is_(None))
            .group_by(Person.community_id)
        ).all()
    )
    households = dict(
        session.execute(
            select(GridCell.community_id, func.count())
            .join(Household, Household.grid_cell_id == GridCell.id)
            .where(Household.retired_at.is_(None))
            .group_by(GridCell.community_id)
        ).all()
    )
    points = dict(
        session.execute(
            select(ServicePoint.community_id, func.count())
            .where(ServicePoint.retired_at.is_(None))
            .group_by(ServicePoint.community_id)
        ).all()
    )
    return [
        RosterCounts(cid, name, people.get(cid, 0), households.get(cid, 0), points.get(cid, 0))
        for cid, name in session.execute(
            select(Community.id, Community.name).order_by(Community.id)
        )
    ]


def _name(actor: Actor, name: str | None) -> str:
    return (name or "") if actor.sees_personal_data else mask_name(name)


def _phone(actor: Actor, phone: str | None) -> str:
    return (phone or "") if actor.sees_personal_data else mask_phone(phone)


def household_list(session: Session, *, actor: Actor, community_id: int) -> list[dict[str, object]]:
    """The 社区's households (in use first), names and phones masked unless the role sees them."""
    tags: dict[int, list[str]] = {}
    for hid, tag in session.execute(
        select(HouseholdTag.household_id, HouseholdTag.tag)
        .join(Household, Household.id == HouseholdTag.household_id)
        .join(GridCell, GridCell.id == Household.grid_cell_id)
        .where(GridCell.community_id == community_id)
    ):
        tags.setdefault(hid, []).append(tag)
    rows = session.execute(
        select(Household, GridCell.name)
        .join(GridCell, GridCell.id == Household.grid_cell_id)
        .where(GridCell.community_id == community_id)
        .order_by(Household.retired_at.is_not(None), GridCell.id, Household.id)
    ).all()
    return [
        {
            "编号": h.id,
            "户主": _name(actor, h.head_name),
            "网格": cell,
            "地址": h.address if actor.sees_personal_data else (h.building or ""),
            "人口数": h.members,
            "联系电话": _phone(actor, h.phone),
            "类别": "、".join(sorted(tags.get(h.id, []))),
            "状态": "已停用" if h.retired_at else "在用",
        }
        for h, cell in rows
    ]


def people_list(session: Session, *, actor: Actor, community_id: int) -> list[dict[str, object]]:
    """The 社区's people, phones masked unless the role sees them."""
    rows = session.scalars(
        select(Person)
        .where(Person.community_id == community_id)
        .order_by(Person.retired_at.is_not(None), Person.kind, Person.id)
    )
    return [
        {
            "编号": p.id,
            "姓名": p.name,
            "类别": PERSON_KIND_LABELS.get(p.kind, p.kind),
            "联系电话": _phone(actor, p.phone),
            "职务": p.title or "",
            "支部": p.party_branch or "",
            "党小组": p.party_group or "",
            "党员状态": p.party_status or "",
            "服务范围": p.service_scope or "",
            "状态": "已停用" if p.retired_at else "在用",
        }
        for p in rows
    ]


def service_point_list(session: Session, *, community_id: int) -> list[dict[str, object]]:
    """The 社区's service points."""
    rows = session.scalars(
        select(ServicePoint)
        .where(ServicePoint.community_id == community_id)
        .order_by(ServicePoint.retired_at.is_not(None), ServicePoint.id)
    )
    return [
        {
            "编号": p.id,
            "名称": p.name,
            "类型": kind_label(p.kind),
            "纬度": p.latitude,
            "经度": p.longitude,
            "状态": "已停用" if p.retired_at else "在用",
        }
        for p in rows
    ]


def service_point_kinds(session: Session) -> list[str]:
    """Kinds in use (stored codes or the admin's own words), for the editable kind choice."""
    return sorted(set(session.scalars(select(ServicePoint.kind).distinct())))


def community_centre(session: Session, *, community_id: int) -> tuple[float, float] | None:
    """The mean centre of the 社区's cells: where a service point without coordinates is put."""
    lat, lon = session.execute(
        select(func.avg(GridCell.center_lat), func.avg(GridCell.center_lon)).where(
            GridCell.community_id == community_id
        )
    ).one()
    return None if lat is None else (float(lat), float(lon))
