"""People behind the pipeline: 积分 (points) rules applied to activity facts, 联户 coverage.

Pure functions over plain values. The rules are data an admin edits (``point_rules``); the
defaults below only seed an empty table. A fact is one thing a person did (a visit, an
assistance action, a case finished on time, a satisfied follow-up); ``award_points`` turns
facts into awards by the rules in force, one award per fact, so each figure keeps the records
behind it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from domain.kpis import Ratio
from domain.reference import PersonKind, ServicePost

LIAISON_KINDS = frozenset({PersonKind.PARTY_MEMBER.value, PersonKind.GRID_WORKER.value})
"""Who can liaise with households (联户): party members and grid workers."""


class FactKind(StrEnum):
    """What a person did that can earn points; the ``rule_key`` of a point rule."""

    VISIT = "visit"
    ASSISTANCE = "assistance"
    CASE_ON_TIME = "case_on_time"
    SATISFIED_FOLLOW_UP = "satisfied_follow_up"

    @property
    def label(self) -> str:
        return FACT_LABELS[self]


FACT_LABELS: dict[FactKind, str] = {
    FactKind.VISIT: "入户走访",
    FactKind.ASSISTANCE: "参与帮扶",
    FactKind.CASE_ON_TIME: "承办案件按期办结",
    FactKind.SATISFIED_FOLLOW_UP: "承办案件回访满意",
}

SOURCE_LABELS: dict[str, str] = {"visit": "走访", "assistance": "帮扶", "case": "案件"}
"""The kind of record a fact comes from (``point_records.source_type``)."""


@dataclass(frozen=True)
class PointRule:
    """积分 rule: facts of kind ``key`` earn ``points`` while ``active``."""

    key: str
    label: str
    points: int
    active: bool = True


DEFAULT_RULES: tuple[PointRule, ...] = (
    PointRule(FactKind.VISIT.value, "入户走访一次", 2),
    PointRule(FactKind.ASSISTANCE.value, "参与帮扶一次", 3),
    PointRule(FactKind.CASE_ON_TIME.value, "承办案件按期办结", 5),
    PointRule(FactKind.SATISFIED_FOLLOW_UP.value, "承办案件回访满意/基本满意", 2),
)
"""Seeds an empty ``point_rules`` table; afterwards the admin's values count."""

MIN_POINTS, MAX_POINTS = -100, 100
MAX_RULE_LABEL = 60


def rule_errors(label: str, points: object) -> dict[str, str]:
    """Field → Chinese message for an edited rule (label required, points a whole number)."""
    errors: dict[str, str] = {}
    text = (label or "").strip()
    if not text:
        errors["label"] = "请填写规则名称"
    elif len(text) > MAX_RULE_LABEL:
        errors["label"] = f"规则名称不能超过 {MAX_RULE_LABEL} 字"
    if isinstance(points, bool) or not isinstance(points, int | float) or points != int(points):
        errors["points"] = "分值须为整数"
    elif not MIN_POINTS <= int(points) <= MAX_POINTS:
        errors["points"] = f"分值应在 {MIN_POINTS} 到 {MAX_POINTS} 之间"
    return errors


@dataclass(frozen=True)
class Fact:
    """One thing a person did: on which day, of which kind, from which source record."""

    person_id: int
    on: dt.date
    kind: str
    source_type: str
    source_id: int


@dataclass(frozen=True)
class Award:
    """Points earned by one fact under one rule (a ``point_records`` row)."""

    person_id: int
    on: dt.date
    points: int
    rule_key: str
    source_type: str
    source_id: int


def award_points(facts: Iterable[Fact], rules: Iterable[PointRule]) -> list[Award]:
    """One award per distinct fact whose rule is active and worth points, in fact order."""
    in_force = {r.key: r for r in rules if r.active and r.points != 0}
    seen: set[tuple[int, str, str, int]] = set()
    awards: list[Award] = []
    for fact in facts:
        rule = in_force.get(fact.kind)
        identity = (fact.person_id, fact.kind, fact.source_type, fact.source_id)
        if rule is None or identity in seen:
            continue
        seen.add(identity)
        awards.append(
            Award(fact.person_id, fact.on, rule.points, rule.key, fact.source_type, fact.source_id)
        )
    return awards


K = TypeVar("K", bound=Hashable)


def total_points(awards: Iterable[Award], key: Callable[[Award], K]) -> dict[K, int]:
    """Sum of points per ``key(award)`` (a person, a party branch, a month …)."""
    totals: dict[K, int] = {}
    for award in awards:
        k = key(award)
        totals[k] = totals.get(k, 0) + award.points
    return totals


_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def participant_names(text: str | None) -> list[str]:
    """The names in a free-text 走访人/帮扶人 field (「王片长、赵党员」 → two names)."""
    return [name for name in _SEPARATORS.split(text or "") if name]


def took_part(name: str, text: str | None) -> bool:
    """True if ``name`` is one of the names listed in ``text``."""
    return name in participant_names(text)


def finished_on_time(finished_at: dt.datetime | None, deadline_at: dt.datetime | None) -> bool:
    """按期办结: finished on or before the deadline (a case without a deadline never counts)."""
    return finished_at is not None and deadline_at is not None and finished_at <= deadline_at


POST_DUTIES: dict[ServicePost, str] = {
    ServicePost.POLICY_OUTREACH: "向联系户宣讲党的政策和社区事务，收集意见建议",
    ServicePost.AID: "结对帮扶困难群众，参与慰问、爱心超市和微心愿",
    ServicePost.PROBATION_CARE: "协助做好社区矫正、刑释人员帮教和矛盾调解",
    ServicePost.SAFETY: "参与治安巡逻、消防和安全隐患排查",
    ServicePost.ENVIRONMENT: "参与环境卫生整治、楼道清理和绿化维护",
    ServicePost.CULTURE_SPORTS: "组织文体活动，带动居民参与",
    ServicePost.SCIENCE_OUTREACH: "开展科普、健康和防诈骗宣传",
    ServicePost.CIVILITY_WATCH: "劝导不文明行为，监督公共秩序",
    ServicePost.HERITAGE_EDUCATION: "为青少年讲述革命传统，开展红色教育",
}
"""设岗定责: what each service post is responsible for (shown with a member's post)."""


def _known_post(post: str | None) -> ServicePost | None:
    try:
        return ServicePost(post) if post else None
    except ValueError:
        return None


def post_label(post: str | None) -> str:
    """The Chinese name of a 设岗定责 post, "" when none (or an unknown code) is set."""
    known = _known_post(post)
    return known.label if known is not None else ""


def post_duties(post: str | None) -> str:
    """What the post is responsible for, "" when none (or an unknown code) is set."""
    known = _known_post(post)
    return POST_DUTIES[known] if known is not None else ""


# ---------------------------------------------------------------------------------------------
# 联户 coverage


@dataclass(frozen=True)
class Coverage:
    """联户 figures of a set of households: covered by a liaison, uncovered, not visited."""

    households: int
    covered: Ratio
    uncovered: tuple[int, ...]
    not_visited: tuple[int, ...]

    @property
    def visited(self) -> Ratio:
        """Households visited in the period / households."""
        return Ratio(self.households - len(self.not_visited), self.households)


def liaison_coverage(
    households: Iterable[int], liaised: Iterable[int], visited: Iterable[int]
) -> Coverage:
    """Coverage of ``households`` (ids): which have a liaison, which were not visited.

    ``liaised`` and ``visited`` may name households outside the set; they are ignored.
    """
    ids = sorted(set(households))
    covered = set(liaised)
    seen = set(visited)
    return Coverage(
        households=len(ids),
        covered=Ratio(sum(1 for h in ids if h in covered), len(ids)),
        uncovered=tuple(h for h in ids if h not in covered),
        not_visited=tuple(h for h in ids if h not in seen),
    )


def coverage_by(
    households: Mapping[int, Hashable], liaised: Iterable[int], visited: Iterable[int]
) -> dict[Hashable, Coverage]:
    """``liaison_coverage`` per group: ``households`` maps a household id to its group (cell)."""
    groups: dict[Hashable, list[int]] = {}
    for household, group in households.items():
        groups.setdefault(group, []).append(household)
    covered, seen = set(liaised), set(visited)
    return {group: liaison_coverage(ids, covered, seen) for group, ids in groups.items()}
