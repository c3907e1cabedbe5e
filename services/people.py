"""People behind the pipeline: 联户 liaison and coverage, members' posts and work, 积分 points.

Rules come from ``domain.people``; this module reads the facts (visits, assistance, cases) and
stores what the rules make of them. A person took part in a visit or an assistance action when
their name is listed among its 走访人/帮扶人 or their login recorded it; in a case when their
login is its 承办人. Residents' names are masked for roles without personal data. Nothing here
imports streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.dashboard_cache import clear_dashboard_cache
from db.models import (
    Assistance,
    Case,
    Community,
    GridCell,
    GridCollector,
    Household,
    LiaisonLink,
    Person,
    PointRecord,
    User,
    Visit,
)
from db.models import PointRule as PointRuleRow
from domain.kpis import Period
from domain.people import (
    DEFAULT_RULES,
    FACT_LABELS,
    POST_DUTIES,
    SOURCE_LABELS,
    Award,
    Coverage,
    Fact,
    FactKind,
    PointRule,
    award_points,
    finished_on_time,
    liaison_coverage,
    participant_names,
    rule_errors,
    total_points,
)
from domain.reference import ASSISTANCE_KIND_LABELS, AssistanceKind, PersonKind, ServicePost
from domain.roles import POINT_RULE_EDITORS, Actor, PageKey, Role, can_open
from domain.validation import mask_name
from domain.workflow import CHANNEL_LABELS, SATISFIED_ANSWERS, STATUS_LABELS, CaseStatus, Channel
from services.cases import PermissionDenied, ValidationFailed

__all__ = [
    "CellLiaison",
    "HouseholdLiaison",
    "MemberPoints",
    "MemberProfile",
    "MemberRow",
    "MonthlyPoints",
    "PermissionDenied",
    "PointRecordView",
    "ValidationFailed",
    "activity_facts",
    "add_liaison",
    "cell_households",
    "ensure_point_rules",
    "liaison_by_cell",
    "liaison_people_choices",
    "member_profile",
    "members",
    "monthly_points",
    "point_rules",
    "settle_points",
    "update_point_rule",
]

LIAISON_KINDS = frozenset({PersonKind.PARTY_MEMBER.value, PersonKind.GRID_WORKER.value})
MAX_GROUP_NAME = 60


def _place(household: Household, *, masked: bool) -> str:
    where = "".join(p for p in (household.building, household.unit, household.room) if p)
    head = mask_name(household.head_name) if masked else household.head_name
    return f"{where}（{head}）"


def _post_label(post: str | None) -> str:
    return ServicePost(post).label if post in ServicePost.__members__.values() else ""


# ---------------------------------------------------------------------------------------------
# 联户: who liaises with which households and groups


def liaison_people_choices(session: Session) -> dict[int, str]:
    """Party members and grid workers who can liaise, as id → 「name（kind · branch）」."""
    rows = session.scalars(
        select(Person)
        .where((Person.kind.in_(sorted(LIAISON_KINDS))) | Person.is_party_member.is_(True))
        .order_by(Person.name, Person.id)
    )
    return {
        p.id: f"{p.name}（{PersonKind(p.kind).label}{' · ' + p.party_branch if p.party_branch else ''}）"
        for p in rows
    }


def add_liaison(
    session: Session,
    *,
    person_id: int | None,
    grid_cell_id: int | None,
    household_id: int | None = None,
    group_name: str = "",
    actor: Actor,
    now: dt.datetime,
) -> LiaisonLink:
    """Link a party member or grid worker to a household or a resident group of a cell.

    Raises ``ValidationFailed`` (field → Chinese message) or ``PermissionDenied``.
    """
    if not can_open(actor.role, PageKey.LIAISON) or actor.role is Role.VIEWER:
        raise PermissionDenied("您的角色不能维护联户关系")
    errors: dict[str, str] = {}
    person = session.get(Person, person_id) if person_id is not None else None
    if person is None:
        errors["person_id"] = "请选择联户的党员或网格员"
    elif person.kind not in LIAISON_KINDS and not person.is_party_member:
        errors["person_id"] = "联户人须为党员或网格员"
    cell = session.get(GridCell, grid_cell_id) if grid_cell_id is not None else None
    if cell is None:
        errors["grid_cell_id"] = "请选择网格"
    elif not actor.sees_cell(cell.id):
        errors["grid_cell_id"] = "只能维护您负责网格内的联户关系"
    group = (group_name or "").strip()
    if household_id is None and not group:
        errors["household_id"] = "请选择联系的住户，或填写居民小组"
    elif household_id is not None and group:
        errors["household_id"] = "住户和居民小组只能选一项"
    elif household_id is not None:
        household = session.get(Household, household_id)
        if household is None or (cell is not None and household.grid_cell_id != cell.id):
            errors["household_id"] = "所选住户不在该网格内"
    if len(group) > MAX_GROUP_NAME:
        errors["group_name"] = f"居民小组名称不能超过 {MAX_GROUP_NAME} 字"
    if not errors:
        duplicate = session.scalar(
            select(LiaisonLink.id).where(
                LiaisonLink.person_id == person_id,
                LiaisonLink.household_id == household_id
                if household_id is not None
                else LiaisonLink.group_name == group,
            )
        )
        if duplicate is not None:
            errors["household_id"] = "该联户关系已存在"
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    assert cell is not None
    link = LiaisonLink(
        person_id=person_id,
        grid_cell_id=cell.id,
        household_id=household_id,
        group_name=group or None,
        since=now.date(),
    )
    try:
        session.add(link)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return link


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


def _cells(session: Session, actor: Actor) -> list[tuple[int, str, str, int | None]]:
    stmt = (
        select(GridCell.id, Community.name, GridCell.name, GridCell.leader_id)
        .join(Community, Community.id == GridCell.community_id)
        .order_by(Community.code, GridCell.code)
    )
    if actor.grid_cell_ids is not None:
        stmt = stmt.where(GridCell.id.in_(sorted(actor.grid_cell_ids)))
    return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]


def _visited(session: Session, period: Period, cell_ids: Iterable[int]) -> set[int]:
    ids = sorted(cell_ids)
    if not ids:
        return set()
    return set(
        session.scalars(
            select(Visit.household_id)
            .where(
                Visit.grid_cell_id.in_(ids),
                Visit.household_id.is_not(None),
                Visit.visited_at >= period.start,
                Visit.visited_at < period.end,
            )
            .distinct()
        )
    )


def liaison_by_cell(session: Session, *, actor: Actor, period: Period) -> list[CellLiaison]:
    """Per cell the actor may see: 片长, collectors, liaisons and 联户/走访 coverage in ``period``."""
    cells = _cells(session, actor)
    ids = [c[0] for c in cells]
    names = dict(session.execute(select(Person.id, Person.name)).all())
    households: dict[int, list[int]] = {cid: [] for cid in ids}
    for hid, cid in session.execute(
        select(Household.id, Household.grid_cell_id).where(Household.grid_cell_id.in_(ids))
    ):
        households[cid].append(hid)
    links = session.scalars(select(LiaisonLink).where(LiaisonLink.grid_cell_id.in_(ids))).all()
    collectors: dict[int, list[str]] = {}
    for cid, pid in session.execute(
        select(GridCollector.grid_cell_id, GridCollector.person_id).where(
            GridCollector.grid_cell_id.in_(ids)
        )
    ):
        collectors.setdefault(cid, []).append(names.get(pid, ""))
    liaised = {link.household_id for link in links if link.household_id is not None}
    visited = _visited(session, period, ids)
    result = []
    for cid, community, cell, leader_id in cells:
        own = [link for link in links if link.grid_cell_id == cid]
        result.append(
            CellLiaison(
                cell_id=cid,
                community=community,
                cell=cell,
                leader=names.get(leader_id, "") if leader_id else "",
                collectors=tuple(sorted(collectors.get(cid, []))),
                liaisons=tuple(sorted({names.get(link.person_id, "") for link in own})),
                groups=tuple(sorted({link.group_name for link in own if link.group_name})),
                coverage=liaison_coverage(households[cid], liaised, visited),
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
    if not actor.sees_cell(grid_cell_id):
        raise PermissionDenied("该网格不在您的负责范围内")
    masked = not actor.sees_personal_data
    households = session.scalars(
        select(Household)
        .where(Household.grid_cell_id == grid_cell_id)
        .order_by(Household.building, Household.unit, Household.room, Household.id)
    ).all()
    by_household: dict[int, list[str]] = {}
    for hid, name in session.execute(
        select(LiaisonLink.household_id, Person.name)
        .join(Person, Person.id == LiaisonLink.person_id)
        .where(LiaisonLink.grid_cell_id == grid_cell_id, LiaisonLink.household_id.is_not(None))
        .order_by(Person.name)
    ):
        by_household.setdefault(hid, []).append(name)
    visited = _visited(session, period, [grid_cell_id])
    return [
        HouseholdLiaison(
            household_id=h.id,
            place=_place(h, masked=masked),
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


def members(session: Session) -> list[MemberRow]:
    """Party members and grid workers with their post and how many households they liaise with."""
    links = session.scalars(select(LiaisonLink)).all()
    people = session.scalars(
        select(Person)
        .where((Person.kind.in_(sorted(LIAISON_KINDS))) | Person.is_party_member.is_(True))
        .order_by(Person.party_branch, Person.name, Person.id)
    ).all()
    return [
        MemberRow(
            person_id=p.id,
            name=p.name,
            kind=PersonKind(p.kind).label,
            branch=p.party_branch or "",
            post=_post_label(p.service_post),
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


def _user_ids(session: Session, person_id: int) -> list[int]:
    return list(session.scalars(select(User.id).where(User.person_id == person_id)))


def member_profile(
    session: Session, *, person_id: int, actor: Actor, period: Period
) -> MemberProfile:
    """A member's post, duties, liaison and the records they took part in (actor's cells only)."""
    person = session.get(Person, person_id)
    if person is None:
        raise ValidationFailed({"person_id": "人员不存在"})
    masked = not actor.sees_personal_data
    users = _user_ids(session, person_id)
    cell_names = dict(session.execute(select(GridCell.id, GridCell.name)).all())
    links = session.execute(
        select(LiaisonLink, Household)
        .outerjoin(Household, Household.id == LiaisonLink.household_id)
        .where(LiaisonLink.person_id == person_id)
    ).all()
    visible = [(link, h) for link, h in links if actor.sees_cell(link.grid_cell_id)]
    visits = [
        (v.visited_at, cell_names.get(v.grid_cell_id, ""), v.people_met)
        for v in session.scalars(
            select(Visit)
            .where(Visit.visited_at >= period.start, Visit.visited_at < period.end)
            .order_by(Visit.visited_at)
        )
        if actor.sees_cell(v.grid_cell_id)
        and (person.name in participant_names(v.visitors) or v.recorded_by_id in users)
    ]
    helped = [
        (
            a.given_at,
            cell_names.get(a.grid_cell_id, ""),
            ASSISTANCE_KIND_LABELS.get(AssistanceKind(a.kind), a.kind)
            if a.kind in AssistanceKind.__members__.values()
            else a.kind,
        )
        for a in session.scalars(
            select(Assistance)
            .where(Assistance.given_at >= period.start, Assistance.given_at < period.end)
            .order_by(Assistance.given_at)
        )
        if actor.sees_cell(a.grid_cell_id)
        and (person.name in participant_names(a.helpers) or a.recorded_by_id in users)
    ]
    cases = []
    if users:
        for case in session.scalars(
            select(Case)
            .where(
                Case.assignee_id.in_(users),
                Case.accepted_at >= period.start,
                Case.accepted_at < period.end,
            )
            .order_by(Case.accepted_at)
        ):
            if actor.sees_cell(case.grid_cell_id):
                cases.append(
                    (
                        case.case_no,
                        CHANNEL_LABELS[Channel(case.channel)],
                        STATUS_LABELS[CaseStatus(case.status)],
                        case.category.name,
                    )
                )
    post = person.service_post
    return MemberProfile(
        person_id=person.id,
        name=person.name,
        kind=PersonKind(person.kind).label,
        branch=person.party_branch or "",
        post=_post_label(post),
        duties=POST_DUTIES[ServicePost(post)] if post in ServicePost.__members__.values() else "",
        households=tuple(_place(h, masked=masked) for link, h in visible if h is not None),
        groups=tuple(sorted({link.group_name for link, _ in visible if link.group_name})),
        visits=tuple(visits),
        assistance=tuple(helped),
        cases=tuple(cases),
    )


# ---------------------------------------------------------------------------------------------
# 积分: rules an admin edits, facts, settlement and the monthly table


def ensure_point_rules(session: Session) -> None:
    """Create the default rules that are missing (an empty table after install)."""
    present = set(session.scalars(select(PointRuleRow.rule_key)))
    missing = [r for r in DEFAULT_RULES if r.key not in present]
    if not missing:
        return
    for rule in missing:
        session.add(
            PointRuleRow(rule_key=rule.key, label=rule.label, points=rule.points, is_active=True)
        )
    session.commit()


def point_rules(session: Session) -> list[PointRule]:
    """The rules in the database, in the order of ``FactKind``."""
    order = {k.value: i for i, k in enumerate(FactKind)}
    rows = session.scalars(select(PointRuleRow)).all()
    rules = [PointRule(r.rule_key, r.label, r.points, r.is_active) for r in rows]
    return sorted(rules, key=lambda r: (order.get(r.key, len(order)), r.key))


def update_point_rule(
    session: Session,
    *,
    rule_key: str,
    label: str,
    points: object,
    active: bool,
    actor: Actor,
    now: dt.datetime,
) -> PointRule:
    """An admin edits a rule; settle the month again to apply it to the records."""
    if actor.role not in POINT_RULE_EDITORS:
        raise PermissionDenied("只有管理员可以修改积分规则")
    row = session.scalar(select(PointRuleRow).where(PointRuleRow.rule_key == rule_key))
    errors = rule_errors(label, points)
    if row is None:
        errors["rule_key"] = "积分规则不存在"
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    assert row is not None and isinstance(points, int | float)
    row.label = label.strip()
    row.points = int(points)
    row.is_active = bool(active)
    row.updated_at = now
    session.commit()
    return PointRule(row.rule_key, row.label, row.points, row.is_active)


def activity_facts(session: Session, *, period: Period) -> list[Fact]:
    """Every fact of ``period`` that can earn points, for every person it can be traced to.

    A name shared by two people is ambiguous and credited to neither (their logins still count).
    """
    name_to_ids: dict[str, list[int]] = {}
    for pid, name in session.execute(select(Person.id, Person.name)):
        name_to_ids.setdefault(name, []).append(pid)
    by_name = {name: ids[0] for name, ids in name_to_ids.items() if len(ids) == 1}
    user_person = {
        uid: pid
        for uid, pid in session.execute(
            select(User.id, User.person_id).where(User.person_id.is_not(None))
        )
    }

    def people_of(text: str | None, recorder: int | None) -> list[int]:
        found = [by_name[n] for n in participant_names(text) if n in by_name]
        if recorder in user_person:
            found.append(user_person[recorder])
        return list(dict.fromkeys(found))

    facts: list[Fact] = []
    for vid, at, visitors, recorder in session.execute(
        select(Visit.id, Visit.visited_at, Visit.visitors, Visit.recorded_by_id)
        .where(Visit.visited_at >= period.start, Visit.visited_at < period.end)
        .order_by(Visit.visited_at, Visit.id)
    ):
        for pid in people_of(visitors, recorder):
            facts.append(Fact(pid, at.date(), FactKind.VISIT.value, "visit", vid))
    for aid, at, helpers, recorder in session.execute(
        select(Assistance.id, Assistance.given_at, Assistance.helpers, Assistance.recorded_by_id)
        .where(Assistance.given_at >= period.start, Assistance.given_at < period.end)
        .order_by(Assistance.given_at, Assistance.id)
    ):
        for pid in people_of(helpers, recorder):
            facts.append(Fact(pid, at.date(), FactKind.ASSISTANCE.value, "assistance", aid))
    for cid, assignee, finished, deadline in session.execute(
        select(Case.id, Case.assignee_id, Case.finished_at, Case.deadline_at)
        .where(Case.finished_at >= period.start, Case.finished_at < period.end)
        .order_by(Case.finished_at, Case.id)
    ):
        if assignee in user_person and finished_on_time(finished, deadline):
            facts.append(
                Fact(
                    user_person[assignee], finished.date(), FactKind.CASE_ON_TIME.value, "case", cid
                )
            )
    satisfied = sorted(s.value for s in SATISFIED_ANSWERS)
    for cid, assignee, followed in session.execute(
        select(Case.id, Case.assignee_id, Case.followed_up_at)
        .where(
            Case.followed_up_at >= period.start,
            Case.followed_up_at < period.end,
            Case.satisfaction.in_(satisfied),
        )
        .order_by(Case.followed_up_at, Case.id)
    ):
        if assignee in user_person:
            facts.append(
                Fact(
                    user_person[assignee],
                    followed.date(),
                    FactKind.SATISFIED_FOLLOW_UP.value,
                    "case",
                    cid,
                )
            )
    return facts


def settle_points(session: Session, *, period: Period, actor: Actor, now: dt.datetime) -> int:
    """结算: replace the point records of ``period`` by the rules in force; returns how many.

    Point records are derived from the facts (which are never touched), so settling again
    after a rule changed is how the change reaches the figures.
    """
    if actor.role not in (Role.ADMIN, Role.SECRETARY):
        raise PermissionDenied("只有书记或管理员可以结算积分")
    ensure_point_rules(session)
    awards = award_points(activity_facts(session, period=period), point_rules(session))
    try:
        session.execute(
            delete(PointRecord).where(
                PointRecord.earned_on >= period.start.date(),
                PointRecord.earned_on < period.end.date(),
            )
        )
        session.add_all(
            PointRecord(
                person_id=a.person_id,
                earned_on=a.on,
                points=a.points,
                rule_key=a.rule_key,
                source_type=a.source_type,
                source_id=a.source_id,
                settled_at=now,
            )
            for a in awards
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    clear_dashboard_cache()
    return len(awards)


@dataclass(frozen=True)
class PointRecordView:
    """One record behind a figure: who, when, by which rule, from which source record."""

    person_id: int
    person: str
    branch: str
    earned_on: dt.date
    rule: str
    points: int
    source: str
    source_ref: str


@dataclass(frozen=True)
class MemberPoints:
    """One member's points of the month, with the subtotal of each rule."""

    person_id: int
    name: str
    branch: str
    post: str
    total: int
    by_rule: dict[str, int]


@dataclass(frozen=True)
class MonthlyPoints:
    """积分 of a month: per member, per party branch, and every record behind them."""

    period: Period
    members: list[MemberPoints]
    branches: dict[str, int]
    records: list[PointRecordView]


def _source_cells(
    session: Session, records: list[PointRecord]
) -> dict[tuple[str, int], tuple[int, str]]:
    """(source type, id) → (grid cell id, a reference to show)."""
    wanted: dict[str, set[int]] = {}
    for r in records:
        wanted.setdefault(r.source_type, set()).add(r.source_id)
    found: dict[tuple[str, int], tuple[int, str]] = {}
    cells = dict(session.execute(select(GridCell.id, GridCell.name)).all())
    if wanted.get("visit"):
        for vid, cid, at in session.execute(
            select(Visit.id, Visit.grid_cell_id, Visit.visited_at).where(
                Visit.id.in_(sorted(wanted["visit"]))
            )
        ):
            found[("visit", vid)] = (cid, f"{at:%Y-%m-%d} {cells.get(cid, '')}走访")
    if wanted.get("assistance"):
        for aid, cid, at in session.execute(
            select(Assistance.id, Assistance.grid_cell_id, Assistance.given_at).where(
                Assistance.id.in_(sorted(wanted["assistance"]))
            )
        ):
            found[("assistance", aid)] = (cid, f"{at:%Y-%m-%d} {cells.get(cid, '')}帮扶")
    if wanted.get("case"):
        for cid_, cell_id, case_no in session.execute(
            select(Case.id, Case.grid_cell_id, Case.case_no).where(
                Case.id.in_(sorted(wanted["case"]))
            )
        ):
            found[("case", cid_)] = (cell_id, case_no)
    return found


def monthly_points(session: Session, *, period: Period, actor: Actor) -> MonthlyPoints:
    """The settled points of ``period``: per member, per branch, and the records behind them.

    A grid worker sees only the records whose source lies in their cells.
    """
    if not can_open(actor.role, PageKey.LIAISON):
        raise PermissionDenied("您的角色不能查看积分")
    records = session.scalars(
        select(PointRecord)
        .where(
            PointRecord.earned_on >= period.start.date(),
            PointRecord.earned_on < period.end.date(),
        )
        .order_by(PointRecord.earned_on, PointRecord.id)
    ).all()
    sources = _source_cells(session, list(records))
    records = [
        r
        for r in records
        if (r.source_type, r.source_id) in sources
        and actor.sees_cell(sources[(r.source_type, r.source_id)][0])
    ]
    people = {
        p.id: p
        for p in session.scalars(
            select(Person).where(Person.id.in_(sorted({r.person_id for r in records})))
        )
    }
    labels = {r.key: r.label for r in point_rules(session)}
    views = [
        PointRecordView(
            person_id=r.person_id,
            person=people[r.person_id].name,
            branch=people[r.person_id].party_branch or "",
            earned_on=r.earned_on,
            rule=labels.get(r.rule_key) or FACT_LABELS.get(FactKind(r.rule_key), r.rule_key),
            points=r.points,
            source=SOURCE_LABELS.get(r.source_type, r.source_type),
            source_ref=sources[(r.source_type, r.source_id)][1],
        )
        for r in records
    ]
    awards = [
        Award(r.person_id, r.earned_on, r.points, r.rule_key, r.source_type, r.source_id)
        for r in records
    ]
    totals = total_points(awards, lambda a: a.person_id)
    by_rule = total_points(awards, lambda a: (a.person_id, a.rule_key))
    rows = [
        MemberPoints(
            person_id=pid,
            name=people[pid].name,
            branch=people[pid].party_branch or "",
            post=_post_label(people[pid].service_post),
            total=total,
            by_rule={k: v for (p, k), v in by_rule.items() if p == pid},
        )
        for pid, total in totals.items()
    ]
    rows.sort(key=lambda m: (-m.total, m.name, m.person_id))
    branches = total_points(awards, lambda a: people[a.person_id].party_branch or "（未分支部）")
    return MonthlyPoints(period, rows, dict(sorted(branches.items(), key=lambda kv: -kv[1])), views)
