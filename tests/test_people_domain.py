"""积分 rules, 联户 coverage and the 三议 order as pure functions (table-driven)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from domain.deliberation import MeetingDraft, Stage, next_stage, validate_meeting
from domain.kpis import Ratio
from domain.people import (
    DEFAULT_RULES,
    Award,
    Fact,
    FactKind,
    PointRule,
    award_points,
    coverage_by,
    finished_on_time,
    liaison_coverage,
    participant_names,
    rule_errors,
    total_points,
)

D = dt.date(2026, 11, 3)
FACTS = [
    Fact(1, D, "visit", "visit", 10),
    Fact(1, D, "visit", "visit", 11),
    Fact(1, D, "assistance", "assistance", 5),
    Fact(2, D, "visit", "visit", 10),  # two visitors on one visit: both earn
    Fact(2, D, "case_on_time", "case", 7),
    Fact(2, D, "satisfied_follow_up", "case", 7),
    Fact(2, D, "visit", "visit", 10),  # the same fact twice counts once
]
DEFAULTS = {r.key: r for r in DEFAULT_RULES}


def rules(**changes: tuple[int, bool]) -> list[PointRule]:
    """The default rules with some (points, active) edited, as an admin would."""
    edited = dict(DEFAULTS)
    for key, (points, active) in changes.items():
        edited[key] = dataclasses.replace(edited[key], points=points, active=active)
    return list(edited.values())


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ({}, {1: 2 + 2 + 3, 2: 2 + 5 + 2}),
        ({"visit": (5, True)}, {1: 5 + 5 + 3, 2: 5 + 5 + 2}),
        ({"visit": (2, False)}, {1: 3, 2: 5 + 2}),
        ({"case_on_time": (10, True), "assistance": (0, True)}, {1: 2 + 2, 2: 2 + 10 + 2}),
        ({"satisfied_follow_up": (-1, True)}, {1: 7, 2: 2 + 5 - 1}),
        (
            {k.value: (1, False) for k in FactKind},
            {},
        ),
    ],
    ids=["defaults", "visit-worth-5", "visit-off", "case-10-assist-0", "negative", "all-off"],
)
def test_points_follow_the_rules_in_force(edits, expected):
    awards = award_points(FACTS, rules(**edits))
    assert total_points(awards, lambda a: a.person_id) == expected


def test_each_award_keeps_its_source_record():
    awards = award_points(FACTS, DEFAULT_RULES)
    assert awards[:3] == [
        Award(1, D, 2, "visit", "visit", 10),
        Award(1, D, 2, "visit", "visit", 11),
        Award(1, D, 3, "assistance", "assistance", 5),
    ]
    assert len(awards) == 6  # the duplicated fact is dropped


def test_a_fact_without_a_rule_earns_nothing():
    assert award_points([Fact(1, D, "unknown", "visit", 1)], DEFAULT_RULES) == []


def test_totals_per_branch():
    branch = {1: "第一党支部", 2: "第二党支部"}
    awards = award_points(FACTS, DEFAULT_RULES)
    assert total_points(awards, lambda a: branch[a.person_id]) == {
        "第一党支部": 7,
        "第二党支部": 9,
    }


@pytest.mark.parametrize(
    ("label", "points", "errors"),
    [
        ("入户走访", 3, {}),
        ("", 3, {"label": "请填写规则名称"}),
        ("走" * 61, 3, {"label": "规则名称不能超过 60 字"}),
        ("入户走访", 2.5, {"points": "分值须为整数"}),
        ("入户走访", "3", {"points": "分值须为整数"}),
        ("入户走访", 101, {"points": "分值应在 -100 到 100 之间"}),
        ("入户走访", -100, {}),
    ],
)
def test_rule_errors(label, points, errors):
    assert rule_errors(label, points) == errors


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("王片长、赵党员", ["王片长", "赵党员"]),
        ("王片长, 赵党员；李四", ["王片长", "赵党员", "李四"]),
        ("", []),
        (None, []),
    ],
)
def test_participant_names(text, names):
    assert participant_names(text) == names


@pytest.mark.parametrize(
    ("finished", "deadline", "on_time"),
    [
        (dt.datetime(2026, 11, 3, 10), dt.datetime(2026, 11, 3, 23, 59), True),
        (dt.datetime(2026, 11, 4, 0, 1), dt.datetime(2026, 11, 3, 23, 59), False),
        (None, dt.datetime(2026, 11, 3), False),
        (dt.datetime(2026, 11, 3), None, False),
    ],
)
def test_finished_on_time(finished, deadline, on_time):
    assert finished_on_time(finished, deadline) is on_time


def test_liaison_coverage_hand_computed():
    # Six households; 1, 2, 5 have a liaison (9 is elsewhere); 2, 3 were visited this year.
    figures = liaison_coverage([1, 2, 3, 4, 5, 6], liaised=[1, 2, 5, 9], visited=[2, 3, 9])
    assert figures.households == 6
    assert figures.covered == Ratio(3, 6)
    assert figures.uncovered == (3, 4, 6)
    assert figures.not_visited == (1, 4, 5, 6)
    assert figures.visited == Ratio(2, 6)


def test_coverage_per_cell():
    cells = {1: "A", 2: "A", 3: "B", 4: "B", 5: "B"}
    by_cell = coverage_by(cells, liaised=[1, 3], visited=[1, 2])
    assert by_cell["A"].covered == Ratio(1, 2) and by_cell["A"].not_visited == ()
    assert by_cell["B"].covered == Ratio(1, 3) and by_cell["B"].uncovered == (4, 5)


def test_empty_cell_has_no_rate():
    assert liaison_coverage([], [], []).covered.percent() == "—"


# --- 三议 ----------------------------------------------------------------------------------

TODAY = dt.date(2026, 11, 20)


def meeting(**overrides) -> MeetingDraft:
    fields = {
        "stage": "party_group",
        "meeting_date": dt.date(2026, 11, 10),
        "attendees": 9,
        "minutes": "讨论3栋楼道改造方案",
    }
    fields.update(overrides)
    return MeetingDraft(**fields)


@pytest.mark.parametrize(
    ("held", "expected"),
    [
        ([], Stage.PARTY_GROUP),
        (["party_group"], Stage.BRANCH_COMMITTEE),
        (["party_group", "branch_committee"], Stage.MEMBERS_ASSEMBLY),
        (["party_group", "branch_committee", "members_assembly"], None),
    ],
)
def test_next_stage(held, expected):
    assert next_stage(held) is expected


@pytest.mark.parametrize(
    ("overrides", "held", "last", "errors"),
    [
        ({}, [], None, {}),
        (
            {"stage": "branch_committee"},
            [],
            None,
            {"stage": "请按顺序召开：下一步应为「党小组会」"},
        ),
        ({"meeting_date": None}, [], None, {"meeting_date": "请填写会议日期"}),
        (
            {"meeting_date": dt.date(2026, 11, 21)},
            [],
            None,
            {"meeting_date": "会议日期不能晚于今天"},
        ),
        (
            {"stage": "branch_committee", "meeting_date": dt.date(2026, 11, 9)},
            ["party_group"],
            dt.date(2026, 11, 10),
            {"meeting_date": "会议日期不能早于上一次会议（2026-11-10）"},
        ),
        ({"attendees": 0}, [], None, {"attendees": "到会人数应在 1 到 10000 之间"}),
        ({"minutes": "  "}, [], None, {"minutes": "请填写会议纪要"}),
        (
            {"stage": "members_assembly"},
            ["party_group", "branch_committee"],
            None,
            {
                "decision": "请填写会议决定",
                "responsible_id": "请选择责任人",
                "due_date": "请填写办理时限",
            },
        ),
        (
            {
                "stage": "members_assembly",
                "decision": "由物业牵头改造",
                "responsible_id": 3,
                "due_date": dt.date(2026, 11, 1),
            },
            ["party_group", "branch_committee"],
            None,
            {"due_date": "办理时限不能早于会议日期"},
        ),
        (
            {},
            ["party_group", "branch_committee", "members_assembly"],
            None,
            {"stage": "该案件的三议已全部完成"},
        ),
    ],
)
def test_validate_meeting(overrides, held, last, errors):
    found = validate_meeting(meeting(**overrides), held=held, last_meeting=last, today=TODAY)
    assert found == errors
