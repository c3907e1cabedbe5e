"""People behind the pipeline as the 党员联户 page reads them: 联户 per cell, members, profiles.

A person took part in a visit or an assistance action when their name is listed among its
走访人/帮扶人 or their login recorded it; in a case when their login is its 承办人. Residents'
names are masked for roles without personal data. The 积分 reads are in ``db.queries.points``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    Assistance,
    Case,
    GridCell,
    GridCollector,
    Household,
    LiaisonLink,
    Person,
    User,
    Visit,
)
from db.queries.access import (
    OUT_OF_UNIT,
    community_filters,
    refusal_of_cell,
    visible_cell_ids,
)
from db.queries.predicates import in_period
from db.queries.territory import cell_rows
from db.queries.visits import household_place, households_of_cell, visited_household_ids
from domain.errors import PermissionDenied, ValidationFailed
from domain.kpis import Period
from domain.people import (
    LIAISON_KINDS,
    Coverage,
    liaison_coverage,
    participant_names,
    post_duties,
    post_label,
)
from domain.reference import PersonKind, assistance_kind_label
from domain.roles import Actor
from domain.workflow import CHANNEL_LABELS, STATUS_LABELS, CaseStatus, Channel

LIAISONS = (Person.kind.in_(sorted(LIAISON_KINDS))) | Person.is_party_member.is_(True)
"""The people who can liaise: party members (by kind or flag) and grid workers."""


def liaison_people_choices(session: Session) -> dict[int, str]:
    """Party members and grid workers who can liaise, as id → 「name（kind · branch）」."""
    rows = session.scalars(select(Person).where(LIAISONS).order_by(Person.name, Person.id))
    return {
        p.id: f"{p.name}（{PersonKind(p.kind).label}{' · ' + p.party_branch if p.party_branch else ''}）"
        for p in rows
    }


@dataclass(frozen=True)
class CellLiaison:
    """联户 of one grid cell: its 1+2 (片长, collectors), its liaisons and the figures."""

    cell_id: int
    community: str
    cell: str
    leader: str
    collectors: tuple[str, ...]
    liaisons: tuple[str, ...]
    groups: tuple[str, ...]
    coverage: Coverage


def liaison_by_cell(session: Session, *, actor: Actor, period: Period) -> list[CellLiaison]:
    """Per cell the actor may see: 片长, collectors, liaisons and 联户/走访 coverage in ``period``."""
    cells = cell_rows(session, actor=actor)
    ids = [c.id for c in cells]
    names = dict(session.execute(select(Person.id, Person.name)).tuples().all())
    households: dict[int, list[int]] = {cid: [] for cid in ids}
    for hid, cid in session.execute(
        select(Household.id, Household.grid_cell_id).where(Household.grid_cell_id.in_(ids))
    ).tuples():
        households[cid].append(hid)
    links = session.scalars(select(LiaisonLink).where(LiaisonLink.grid_cell_id.in_(ids))).all()
    collectors: dict[int, list[str]] = {}
    for cid, pid in session.execute(
        select(GridCollector.grid_cell_id, GridCollector.person_id).where(
            GridCollector.grid_cell_id.in_(ids)
        )
    ).tuples():
        collectors.setdefault(cid, []).append(names.get(pid, ""))
    liaised = {link.household_id for link in links if link.household_id is not None}
    visited = visited_household_ids(session, period=period, cell_ids=ids)
    result = []
    for c in cells:
        own = [link for link in links if link.grid_cell_id == c.id]
        result.append(
            CellLiaison(
                cell_id=c.id,
                community=c.community,
                cell=c.name,
                leader=names.get(c.leader_id, "") if c.leader_id else "",
                collectors=tuple(sorted(collectors.get(c.id, []))),
                liaisons=tuple(sorted({names.get(link.person_id, "") for link in own})),
                groups=tuple(sorted({link.group_name for link in own if link.group_name})),
                coverage=liaison_coverage(households[c.id], liaised, visited),
            )
        )
    return result


@dataclass(frozen=True)
class HouseholdLiaison:
    """One household of a cell: who liaises with it and whether it was visited in the period."""

    household_id: int
    place: str
    liaisons: tuple[str, ...]
    visited: bool


def cell_households(
    session: Session, *, grid_cell_id: int, actor: Actor, period: Period
) -> list[HouseholdLiaison]:
    """The households of one cell with their liaisons (heads masked for roles without PII)."""
    if refusal_of_cell(session, actor=actor, grid_cell_id=grid_cell_id) is not None:
        raise PermissionDenied("该网格不在您的负责范围内")
    masked = not actor.sees_personal_data
    households = households_of_cell(session, grid_cell_id=grid_cell_id)
    by_household: dict[int, list[str]] = {}
    for hid, name in session.execute(
        select(LiaisonLink.household_id, Person.name)
        .join(Person, Person.id == LiaisonLink.person_id)
        .where(LiaisonLink.grid_cell_id == grid_cell_id, LiaisonLink.household_id.is_not(None))
        .order_by(Person.name)
    ).tuples():
        if hid is not None:
            by_household.setdefault(hid, []).append(name)
    visited = visited_household_ids(session, period=period, cell_ids=[grid_cell_id])
    return [
        HouseholdLiaison(
            household_id=h.id,
            place=household_place(h, masked=masked),
            liaisons=tuple(by_household.get(h.id, [])),
            visited=h.id in visited,
        )
        for h in households
    ]


# ---------------------------------------------------------------------------------------------
# 设岗定责: members, their posts, duties and the work they took part in


@dataclass(frozen=True)
class MemberRow:
    """A party member or grid worker as the members list shows them."""

    person_id: int
    name: str
    kind: str
    branch: str
    post: str
    households: int
    groups: tuple[str, ...]


def members(session: Session, *, actor: Actor) -> list[MemberRow]:
    """Party members and grid workers (of ``actor``'s 社区) with their post and 联户 count."""
    links = session.scalars(select(LiaisonLink)).all()
    unit = community_filters(actor, Person.community_id)
    people = session.scalars(
        select(Person).where(LIAISONS, *unit).order_by(Person.party_branch, Person.name, Person.id)
    ).all()
    return [
        MemberRow(
            person_id=p.id,
            name=p.name,
            kind=PersonKind(p.kind).label,
            branch=p.party_branch or "",
            post=post_label(p.service_post),
            households=sum(1 for k in links if k.person_id == p.id and k.household_id),
            groups=tuple(
                sorted({k.group_name for k in links if k.person_id == p.id and k.group_name})
            ),
        )
        for p in people
    ]


@dataclass(frozen=True)
class MemberProfile:
    """One member: post and duties, liaison, and the visits, assistance and cases of the period."""

    person_id: int
    name: str
    kind: str
    branch: str
    post: str
    duties: str
    households: tuple[str, ...]
    groups: tuple[str, ...]
    visits: tuple[tuple[dt.datetime, str, int], ...]
    """(when, cell, people met) of each visit they took part in."""
    assistance: tuple[tuple[dt.datetime, str, str], ...]
    """(when, cell, kind of help) of each assistance action they took part in."""
    cases: tuple[tuple[str, str, str, str], ...]
    """(case number, channel, status, category) of each case they handle."""


def member_profile(
    session: Session, *, person_id: int, actor: Actor, period: Period
) -> MemberProfile:
    """A member's post, duties, liaison and the records they took part in (actor's cells only)."""
    person = session.get(Person, person_id)
    if person is None:
        raise ValidationFailed({"person_id": "人员不存在"})
    if person.community_id is not None and not actor.sees_community(person.community_id):
        raise PermissionDenied(OUT_OF_UNIT)
    seen = visible_cell_ids(session, actor)
    masked = not actor.sees_personal_data
    users = list(session.scalars(select(User.id).where(User.person_id == person_id)))
    cell_names = dict(session.execute(select(GridCell.id, GridCell.name)).tuples().all())
    links = session.execute(
        select(LiaisonLink, Household)
        .outerjoin(Household, Household.id == LiaisonLink.household_id)
        .where(LiaisonLink.person_id == person_id)
    ).tuples()
    visible = [(link, h) for link, h in links if link.grid_cell_id in seen]
    visits = [
        (v.visited_at, cell_names.get(v.grid_cell_id, ""), v.people_met)
        for v in session.scalars(
            select(Visit).where(in_period(Visit.visited_at, period)).order_by(Visit.visited_at)
        )
        if v.grid_cell_id in seen
        and (person.name in participant_names(v.visitors) or v.recorded_by_id in users)
    ]
    helped = [
        (a.given_at, cell_names.get(a.grid_cell_id, ""), assistance_kind_label(a.kind))
        for a in session.scalars(
            select(Assistance)
            .where(in_period(Assistance.given_at, period))
            .order_by(Assistance.given_at)
        )
        if a.grid_cell_id in seen
        and (person.name in participant_names(a.helpers) or a.recorded_by_id in users)
    ]
    cases = []
    if users:
        for case in session.scalars(
            select(Case)
            .where(Case.assignee_id.in_(users), in_period(Case.accepted_at, period))
            .order_by(Case.accepted_at)
        ):
            if case.grid_cell_id in seen:
                cases.append(
                    (
                        case.case_no,
                        CHANNEL_LABELS[Channel(case.channel)],
                        STATUS_LABELS[CaseStatus(case.status)],
                        case.category.name,
                    )
                )
    return MemberProfile(
        person_id=person.id,
        name=person.name,
        kind=PersonKind(person.kind).label,
        branch=person.party_branch or "",
        post=post_label(person.service_post),
        duties=post_duties(person.service_post),
        households=tuple(household_place(h, masked=masked) for _, h in visible if h is not None),
        groups=tuple(sorted({link.group_name for link, _ in visible if link.group_name})),
        visits=tuple(visits),
        assistance=tuple(helped),
        cases=tuple(cases),
    )
