"""积分 as the 党员联户 page reads it: the rules, the facts that earn points, the monthly table.

Facts come from visits, assistance and cases (``activity_facts``); ``services.people`` settles
them into point records by the rules; ``monthly_points`` shows the records and their totals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Assistance, Case, GridCell, Person, PointRecord, User, Visit
from db.models import PointRule as PointRuleRow
from db.queries.access import visible_cell_ids
from db.queries.predicates import SATISFIED, in_period
from domain.errors import PermissionDenied
from domain.kpis import Period
from domain.people import (
    FACT_LABELS,
    SOURCE_LABELS,
    Award,
    Fact,
    FactKind,
    PointRule,
    finished_on_time,
    participant_names,
    post_label,
    total_points,
)
from domain.roles import Actor, PageKey, can_open


def point_rules(session: Session) -> list[PointRule]:
    """The rules in the database, in the order of ``FactKind``."""
    order = {k.value: i for i, k in enumerate(FactKind)}
    rows = session.scalars(select(PointRuleRow)).all()
    rules = [PointRule(r.rule_key, r.label, r.points, r.is_active) for r in rows]
    return sorted(rules, key=lambda r: (order.get(r.key, len(order)), r.key))


def activity_facts(session: Session, *, period: Period) -> list[Fact]:
    """Every fact of ``period`` that can earn points, for every person it can be traced to.

    A name shared by two people is ambiguous and credited to neither (their logins still count).
    """
    name_to_ids: dict[str, list[int]] = {}
    for pid, name in session.execute(select(Person.id, Person.name)).tuples():
        name_to_ids.setdefault(name, []).append(pid)
    by_name = {name: ids[0] for name, ids in name_to_ids.items() if len(ids) == 1}
    user_person = {
        uid: pid
        for uid, pid in session.execute(select(User.id, User.person_id)).tuples()
        if pid is not None
    }

    def people_of(text: str | None, recorder: int | None) -> list[int]:
        found = [by_name[n] for n in participant_names(text) if n in by_name]
        if recorder is not None and recorder in user_person:
            found.append(user_person[recorder])
        return list(dict.fromkeys(found))

    facts: list[Fact] = []
    taking_part = (
        (FactKind.VISIT, "visit", Visit.id, Visit.visited_at, Visit.visitors, Visit.recorded_by_id),
        (
            FactKind.ASSISTANCE,
            "assistance",
            Assistance.id,
            Assistance.given_at,
            Assistance.helpers,
            Assistance.recorded_by_id,
        ),
    )
    for kind, source, ident, when, names, recorded_by in taking_part:
        for rid, at, text, recorder in session.execute(
            select(ident, when, names, recorded_by)
            .where(in_period(when, period))
            .order_by(when, ident)
        ).tuples():
            for pid in people_of(text, recorder):
                facts.append(Fact(pid, at.date(), kind.value, source, rid))
    for cid, assignee, finished, deadline in session.execute(
        select(Case.id, Case.assignee_id, Case.finished_at, Case.deadline_at)
        .where(in_period(Case.finished_at, period))
        .order_by(Case.finished_at, Case.id)
    ).tuples():
        person = user_person.get(assignee) if assignee is not None else None
        if person is not None and finished is not None and finished_on_time(finished, deadline):
            facts.append(Fact(person, finished.date(), FactKind.CASE_ON_TIME.value, "case", cid))
    for cid, assignee, followed in session.execute(
        select(Case.id, Case.assignee_id, Case.followed_up_at)
        .where(in_period(Case.followed_up_at, period), SATISFIED)
        .order_by(Case.followed_up_at, Case.id)
    ).tuples():
        person = user_person.get(assignee) if assignee is not None else None
        if person is not None and followed is not None:
            satisfied = FactKind.SATISFIED_FOLLOW_UP.value
            facts.append(Fact(person, followed.date(), satisfied, "case", cid))
    return facts


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
    seen = visible_cell_ids(session, actor)
    records = [
        r
        for r in records
        if (r.source_type, r.source_id) in sources
        and sources[(r.source_type, r.source_id)][0] in seen
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
            post=post_label(people[pid].service_post),
            total=total,
            by_rule={k: v for (p, k), v in by_rule.items() if p == pid},
        )
        for pid, total in totals.items()
    ]
    rows.sort(key=lambda m: (-m.total, m.name, m.person_id))
    branches = total_points(awards, lambda a: people[a.person_id].party_branch or "（未分支部）")
    return MonthlyPoints(period, rows, dict(sorted(branches.items(), key=lambda kv: -kv[1])), views)
