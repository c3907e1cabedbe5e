"""People behind the pipeline, the writes: 联户 links, the 积分 rules and their settlement.

Rules come from ``domain.people``; the reads (联户 coverage, members, the monthly 积分 table)
are in ``db.queries.people`` and ``db.queries.points``. Nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.dashboard_cache import clear_dashboard_cache
from db.models import GridCell, Household, LiaisonLink, Person, PointRecord
from db.models import PointRule as PointRuleRow
from db.queries.access import sees_cell
from db.queries.points import activity_facts, point_rules
from domain.errors import PermissionDenied, ValidationFailed
from domain.kpis import Period
from domain.people import DEFAULT_RULES, LIAISON_KINDS, PointRule, award_points, rule_errors
from domain.reference import ServicePost
from domain.roles import POINT_RULE_EDITORS, Actor, PageKey, Role, can_open
from services.history import record_change

__all__ = [
    "PermissionDenied",
    "ValidationFailed",
    "add_liaison",
    "ensure_point_rules",
    "set_service_post",
    "settle_points",
    "update_point_rule",
]

MAX_GROUP_NAME = 60


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
    elif not sees_cell(actor, cell):
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


def set_service_post(
    session: Session, *, actor: Actor, person_id: int, post: str | None, now: dt.datetime
) -> None:
    """设岗定责: give a party member a post (``domain.reference.ServicePost``) or none; recorded.

    Raises ``ValidationFailed`` (field → Chinese message) or ``PermissionDenied``.
    """
    if actor.role not in (Role.ADMIN, Role.SECRETARY):
        raise PermissionDenied("只有书记或管理员可以设岗定责")
    person = session.get(Person, person_id)
    errors: dict[str, str] = {}
    if person is None or person.retired_at is not None:
        errors["person_id"] = "所选人员不存在"
    elif not person.is_party_member:
        errors["person_id"] = f"{person.name}不是党员，不能设岗"
    elif actor.community_id is not None and person.community_id != actor.community_id:
        errors["person_id"] = "只能为本社区的党员设岗"
    if post is not None and post not in ServicePost.__members__.values():
        errors["post"] = "请选择岗位"
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    assert person is not None
    if person.service_post == post:
        return
    record_change(
        session, entity="person", entity_id=person.id, action="post",
        before={"service_post": person.service_post}, after={"service_post": post},
        username=actor.username, now=now,
    )  # fmt: skip
    person.service_post = post
    session.commit()


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
