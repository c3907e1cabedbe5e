"""The state machine of the pipeline (四道程序): every allowed move and every refused one.

``EXPECTED`` below is the specification written out by hand, independently of
``domain.workflow.TRANSITIONS``; the tests fail if the two disagree in a single cell.
"""

from __future__ import annotations

import itertools
import re

import pytest

from domain.roles import Role, can_act_on
from domain.workflow import (
    CLOSED_WITHOUT_RESULT,
    FINISHED_STATUSES,
    HISTORICAL_STATUSES,
    OPEN_STATUSES,
    PAUSED_STATUSES,
    Action,
    CaseStatus,
    Level,
    Satisfaction,
    TransitionError,
    allowed_actions,
    finish_level,
    is_finished,
    is_open,
    next_status,
)

S = CaseStatus
A = Action
ALL = tuple(S)
OPEN6 = (
    S.ACCEPTED,
    S.IN_PROGRESS,
    S.AWAITING_MATERIALS,
    S.ESCALATED,
    S.SUBDISTRICT_PENDING,
    S.AT_SUBDISTRICT,
)

# action -> (source states, target state; None = the case stays where it is)
EXPECTED: dict[Action, tuple[tuple[CaseStatus, ...], CaseStatus | None]] = {
    A.START: ((S.ACCEPTED,), S.IN_PROGRESS),
    A.REQUEST_MATERIALS: ((S.ACCEPTED, S.IN_PROGRESS), S.AWAITING_MATERIALS),
    A.MATERIALS_RECEIVED: ((S.AWAITING_MATERIALS,), S.IN_PROGRESS),
    # 上报 beyond the 街道 (区, 上级部门, 12345): by the 社区, or by the 街道 staff holding it.
    A.ESCALATE: ((S.ACCEPTED, S.IN_PROGRESS, S.AT_SUBDISTRICT), S.ESCALATED),
    A.ESCALATION_ANSWERED: ((S.ESCALATED,), S.IN_PROGRESS),
    # 上报街道: a hand-off to the 街道 staff, who 签收 it or give it back (退回社区).
    A.ESCALATE_TO_SUBDISTRICT: ((S.ACCEPTED, S.IN_PROGRESS), S.SUBDISTRICT_PENDING),
    A.SIGN_FOR: ((S.SUBDISTRICT_PENDING,), S.AT_SUBDISTRICT),
    A.HAND_BACK: ((S.SUBDISTRICT_PENDING, S.AT_SUBDISTRICT), S.IN_PROGRESS),
    A.RETURN: ((S.ACCEPTED, S.IN_PROGRESS, S.AWAITING_MATERIALS), S.RETURNED),
    A.FINISH_RESOLVED: ((S.ACCEPTED, S.IN_PROGRESS, S.AT_SUBDISTRICT), S.RESOLVED),
    A.FINISH_ANSWERED: ((S.ACCEPTED, S.IN_PROGRESS, S.ESCALATED, S.AT_SUBDISTRICT), S.ANSWERED),
    A.NOTIFY: ((S.RESOLVED, S.ANSWERED), S.NOTIFIED),
    A.FOLLOW_UP: ((S.NOTIFIED,), S.FOLLOWED_UP),
    A.ARCHIVE: ((S.FOLLOWED_UP,), S.ARCHIVED),
    A.MERGE: ((S.ACCEPTED, S.IN_PROGRESS), S.MERGED),
    A.REMIND: (OPEN6, None),
    A.REASSIGN: ((*OPEN6, S.RESOLVED, S.ANSWERED, S.NOTIFIED), None),
    A.NOTE: (ALL, None),
    A.CORRECT: (tuple(s for s in ALL if s is not S.ARCHIVED), None),
    A.ACCEPT: ((), None),  # only for a new case, never a move of an existing one
    A.IMPORT: ((), None),  # 台账导入 creates a case, never moves one
    A.DELIBERATE: (OPEN6, None),  # 三议 meetings on an open case keep its state
    A.DELIBERATION_DECISION: (OPEN6, None),
    # 台账导入 archives an old ledger's open row as 历史未结 when the clerk chooses so
    A.ARCHIVE_HISTORICAL: (OPEN6, S.HISTORICAL_OPEN),
}

ALLOWED = [
    (source, action, target or source)
    for action, (sources, target) in EXPECTED.items()
    for source in sources
]
REFUSED = [
    (status, action)
    for status, action in itertools.product(ALL, Action)
    if status not in EXPECTED[action][0]
]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_table_covers_every_action():
    assert set(EXPECTED) == set(Action)
    assert len(ALLOWED) == 81 + 6 + 2  # 历史未结: reached from the 6 open, NOTE and CORRECT
    assert len(ALLOWED) + len(REFUSED) == len(ALL) * len(Action)


@pytest.mark.parametrize(("source", "action", "target"), ALLOWED, ids=lambda v: str(v))
def test_allowed_transition(source: CaseStatus, action: Action, target: CaseStatus):
    answer = Satisfaction.SATISFIED if action is A.FOLLOW_UP else None
    moved = next_status(source, action, answer)
    assert (moved.action, moved.from_status, moved.to_status) == (action, source, target)


@pytest.mark.parametrize(("status", "action"), REFUSED, ids=lambda v: str(v))
def test_refused_transition(status: CaseStatus, action: Action):
    with pytest.raises(TransitionError) as refused:
        next_status(status, action, Satisfaction.SATISFIED)
    message = str(refused.value)
    assert CJK.search(message), message
    if action is not A.ACCEPT:
        assert f"「{status.label}」" in message
        assert f"「{action.label}」" in message


def test_refusal_message_in_full():
    with pytest.raises(TransitionError, match=r"^案件当前状态为「归档」，不能执行「更正」$"):
        next_status("archived", "correct")
    with pytest.raises(TransitionError, match=r"^受理只能用于新案件$"):
        next_status("accepted", "accept")


@pytest.mark.parametrize(
    ("answer", "target"),
    [
        (Satisfaction.SATISFIED, S.FOLLOWED_UP),
        (Satisfaction.BASICALLY_SATISFIED, S.FOLLOWED_UP),
        (Satisfaction.NO_ANSWER, S.FOLLOWED_UP),
        (Satisfaction.DISSATISFIED, S.IN_PROGRESS),
        ("dissatisfied", S.IN_PROGRESS),
        ("satisfied", S.FOLLOWED_UP),
    ],
)
def test_follow_up_outcome(answer: Satisfaction | str, target: CaseStatus):
    assert next_status(S.NOTIFIED, A.FOLLOW_UP, answer).to_status is target


def test_follow_up_needs_a_satisfaction():
    with pytest.raises(TransitionError, match=r"^回访须填写满意度$"):
        next_status(S.NOTIFIED, A.FOLLOW_UP)


def test_statuses_and_actions_accept_their_stored_strings():
    moved = next_status("in_progress", "escalate")
    assert (moved.from_status, moved.to_status) == (S.IN_PROGRESS, S.ESCALATED)


def test_unknown_action_is_a_value_error():
    with pytest.raises(ValueError):
        next_status(S.ACCEPTED, "teleport")


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        (
            S.ACCEPTED,
            [
                A.START,
                A.REQUEST_MATERIALS,
                A.ESCALATE,
                A.ESCALATE_TO_SUBDISTRICT,
                A.RETURN,
                A.FINISH_RESOLVED,
                A.FINISH_ANSWERED,
                A.MERGE,
                A.REMIND,
                A.REASSIGN,
                A.NOTE,
                A.CORRECT,
                A.DELIBERATE,
                A.DELIBERATION_DECISION,
                A.ARCHIVE_HISTORICAL,
            ],
        ),
        (
            S.AWAITING_MATERIALS,
            [
                A.MATERIALS_RECEIVED,
                A.RETURN,
                A.REMIND,
                A.REASSIGN,
                A.NOTE,
                A.CORRECT,
                A.DELIBERATE,
                A.DELIBERATION_DECISION,
                A.ARCHIVE_HISTORICAL,
            ],
        ),
        (
            S.ESCALATED,
            [
                A.ESCALATION_ANSWERED,
                A.FINISH_ANSWERED,
                A.REMIND,
                A.REASSIGN,
                A.NOTE,
                A.CORRECT,
                A.DELIBERATE,
                A.DELIBERATION_DECISION,
                A.ARCHIVE_HISTORICAL,
            ],
        ),
        (
            S.SUBDISTRICT_PENDING,
            [
                A.SIGN_FOR,
                A.HAND_BACK,
                A.REMIND,
                A.REASSIGN,
                A.NOTE,
                A.CORRECT,
                A.DELIBERATE,
                A.DELIBERATION_DECISION,
                A.ARCHIVE_HISTORICAL,
            ],
        ),
        (
            S.AT_SUBDISTRICT,
            [
                A.ESCALATE,
                A.HAND_BACK,
                A.FINISH_RESOLVED,
                A.FINISH_ANSWERED,
                A.REMIND,
                A.REASSIGN,
                A.NOTE,
                A.CORRECT,
                A.DELIBERATE,
                A.DELIBERATION_DECISION,
                A.ARCHIVE_HISTORICAL,
            ],
        ),
        (S.RESOLVED, [A.NOTIFY, A.REASSIGN, A.NOTE, A.CORRECT]),
        (S.NOTIFIED, [A.FOLLOW_UP, A.REASSIGN, A.NOTE, A.CORRECT]),
        (S.FOLLOWED_UP, [A.ARCHIVE, A.NOTE, A.CORRECT]),
        (S.HISTORICAL_OPEN, [A.NOTE, A.CORRECT]),
        (S.ARCHIVED, [A.NOTE]),
        (S.RETURNED, [A.NOTE, A.CORRECT]),
        ("merged", [A.NOTE, A.CORRECT]),
    ],
)
def test_allowed_actions(status: CaseStatus | str, actions: list[Action]):
    assert allowed_actions(status) == actions


@pytest.mark.parametrize("status", ALL)
def test_allowed_actions_agree_with_next_status(status: CaseStatus):
    expected = [a for a in Action if status in EXPECTED[a][0]]
    assert allowed_actions(status) == expected


@pytest.mark.parametrize(
    ("status", "open_", "finished", "paused", "closed_without_result"),
    [
        (S.ACCEPTED, True, False, False, False),
        (S.IN_PROGRESS, True, False, False, False),
        (S.AWAITING_MATERIALS, True, False, True, False),
        (S.ESCALATED, True, False, False, False),
        (S.SUBDISTRICT_PENDING, True, False, False, False),
        (S.AT_SUBDISTRICT, True, False, False, False),
        (S.RESOLVED, False, True, False, False),
        (S.ANSWERED, False, True, False, False),
        (S.NOTIFIED, False, True, False, False),
        (S.FOLLOWED_UP, False, True, False, False),
        (S.ARCHIVED, False, True, False, False),
        (S.RETURNED, False, False, False, True),
        (S.MERGED, False, False, False, True),
        (S.HISTORICAL_OPEN, False, False, False, False),  # not 在办, not resolved, not dropped
    ],
)
def test_state_groups(
    status: CaseStatus, open_: bool, finished: bool, paused: bool, closed_without_result: bool
):
    assert is_open(status) is open_
    assert is_open(status.value) is open_
    assert is_finished(status) is finished
    assert is_finished(status.value) is finished
    assert (status in PAUSED_STATUSES) is paused
    assert (status in CLOSED_WITHOUT_RESULT) is closed_without_result


def test_state_groups_partition_the_statuses():
    groups = (OPEN_STATUSES, FINISHED_STATUSES, CLOSED_WITHOUT_RESULT, HISTORICAL_STATUSES)
    assert sum(len(g) for g in groups) == len(CaseStatus)
    assert frozenset().union(*groups) == frozenset(CaseStatus)
    assert PAUSED_STATUSES <= OPEN_STATUSES


@pytest.mark.parametrize(
    ("member", "label"),
    [
        (S.ACCEPTED, "已受理"),
        (S.AWAITING_MATERIALS, "待补材料"),
        (S.FOLLOWED_UP, "已回访"),
        (S.MERGED, "已合并"),
        (S.HISTORICAL_OPEN, "历史未结"),
        (A.ARCHIVE_HISTORICAL, "归档为历史未结"),
        (A.FINISH_RESOLVED, "办结"),
        (A.FOLLOW_UP, "回访"),
        (Satisfaction.NO_ANSWER, "未评价"),
    ],
)
def test_labels_are_chinese(member: CaseStatus | Action | Satisfaction, label: str):
    assert member.label == label


@pytest.mark.parametrize("member", [*CaseStatus, *Action, *Satisfaction], ids=str)
def test_every_member_has_a_chinese_label(member: CaseStatus | Action | Satisfaction):
    assert CJK.search(member.label)


# ---------------------------------------------------------------------------------------------
# 化解层级 follows from the level that finished the case


@pytest.mark.parametrize(
    ("chosen", "escalated", "finished_from", "level"),
    [
        (None, None, S.IN_PROGRESS, None),
        (Level.COMMUNITY, None, S.IN_PROGRESS, Level.COMMUNITY),
        (None, Level.DISTRICT, S.IN_PROGRESS, Level.DISTRICT),
        (Level.COMMUNITY, Level.DISTRICT, S.IN_PROGRESS, Level.COMMUNITY),
        (None, Level.HIGHER_DEPARTMENT, S.ESCALATED, Level.HIGHER_DEPARTMENT),
        # finished by the 街道 staff: 街道, whatever was chosen or escalated
        (None, Level.SUBDISTRICT, S.AT_SUBDISTRICT, Level.SUBDISTRICT),
        (Level.COMMUNITY, Level.SUBDISTRICT, S.AT_SUBDISTRICT, Level.SUBDISTRICT),
        (None, None, "at_subdistrict", Level.SUBDISTRICT),
        (Level.DISTRICT, None, None, Level.DISTRICT),
    ],
)
def test_finish_level(chosen, escalated, finished_from, level):
    assert finish_level(chosen, escalated, finished_from) is level


@pytest.mark.parametrize(
    ("role", "action", "status", "allowed"),
    [
        (Role.SUBDISTRICT_STAFF, A.SIGN_FOR, S.SUBDISTRICT_PENDING, True),
        (Role.SUBDISTRICT_STAFF, A.FINISH_ANSWERED, S.AT_SUBDISTRICT, True),
        (Role.SUBDISTRICT_STAFF, A.HAND_BACK, S.AT_SUBDISTRICT, True),
        (Role.SUBDISTRICT_STAFF, A.FINISH_RESOLVED, S.IN_PROGRESS, False),  # the 社区's case
        (Role.SUBDISTRICT_STAFF, A.REMIND, S.IN_PROGRESS, True),
        (Role.STAFF, A.SIGN_FOR, S.SUBDISTRICT_PENDING, False),
        (Role.STAFF, A.FINISH_ANSWERED, S.AT_SUBDISTRICT, False),  # the 街道 holds it
        (Role.STAFF, A.NOTE, S.AT_SUBDISTRICT, True),
        (Role.STAFF, A.ESCALATE_TO_SUBDISTRICT, S.IN_PROGRESS, True),
        (Role.SECRETARY, A.REMIND, S.SUBDISTRICT_PENDING, True),
        (Role.GRIDWORKER, A.ESCALATE_TO_SUBDISTRICT, S.IN_PROGRESS, False),
        (Role.SUBDISTRICT_LEADER, A.SIGN_FOR, S.SUBDISTRICT_PENDING, False),
        (Role.ADMIN, A.SIGN_FOR, S.SUBDISTRICT_PENDING, True),
        (Role.ADMIN, A.FINISH_RESOLVED, S.IN_PROGRESS, True),
        # the 街道 sends on what it holds; the outside unit's 回单 is entered by either level
        (Role.SUBDISTRICT_STAFF, A.ESCALATE, S.AT_SUBDISTRICT, True),
        (Role.STAFF, A.ESCALATE, S.AT_SUBDISTRICT, False),
        (Role.SUBDISTRICT_STAFF, A.ESCALATE, S.IN_PROGRESS, False),
        (Role.SUBDISTRICT_STAFF, A.ESCALATION_ANSWERED, S.ESCALATED, True),
        (Role.SUBDISTRICT_STAFF, A.FINISH_ANSWERED, S.ESCALATED, True),
        (Role.STAFF, A.ESCALATION_ANSWERED, S.ESCALATED, True),
        (Role.SUBDISTRICT_LEADER, A.ESCALATION_ANSWERED, S.ESCALATED, False),
        (Role.GRIDWORKER, A.ESCALATION_ANSWERED, S.ESCALATED, False),
    ],
)
def test_who_acts_at_which_level(role, action, status, allowed):
    assert can_act_on(role, action, status) is allowed
