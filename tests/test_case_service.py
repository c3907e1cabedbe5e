"""Case use cases on SQLite, PostgreSQL and MariaDB: intake, every action, the case view, locking."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry, Case, CaseEvent, CaseNumberCounter
from domain.roles import Actor
from domain.workflow import Action, CaseStatus, TransitionError
from services.case_numbers import allocate_case_seq, allocate_case_seqs, ensure_counter_row
from services.cases import (
    PermissionDenied,
    StaleCase,
    ValidationFailed,
    accept_case,
    apply_action,
    open_case,
)
from tests.factories import NOW, World, make_case, make_world
from tests.helpers.cases import RULES, actor_of, draft

A = Action
S = CaseStatus


def count(session, model) -> int:
    return int(session.scalar(select(func.count()).select_from(model)))


def events_of(session, case_id: int) -> list[CaseEvent]:
    session.expire_all()
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
    )


def act(session, case: Case, action: Action, actor: Actor, now=NOW, **fields) -> Case:
    """Apply an action at the version the caller holds."""
    session.refresh(case)
    return apply_action(
        session,
        case_id=case.id,
        expected_version=case.version,
        action=action,
        actor=actor,
        now=now,
        rules=RULES,
        **fields,
    )


@pytest.fixture
def world(session) -> World:
    return make_world(session)


@pytest.fixture
def staff(world) -> Actor:
    return actor_of(world, "staff")


# ---------------------------------------------------------------------------------------------
# 受理


def test_accept_numbers_sets_clocks_and_writes_event(session, world, staff):
    first = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    second = accept_case(
        session, draft=draft(world, handling_type="immediate"), actor=staff, now=NOW, rules=RULES
    )
    assert (first.case_no, second.case_no) == ("MQ-2026-000001", "MQ-2026-000002")
    assert first.status == "accepted" and first.version == 1
    # Friday 2026-11-20 + 3 working days = Wednesday 2026-11-25, end of day.
    assert first.deadline_at == dt.datetime(2026, 11, 25, 23, 59, 59)
    assert first.response_due_at == dt.datetime(2026, 11, 23, 23, 59, 59)
    assert second.deadline_at == dt.datetime(2026, 11, 20, 23, 59, 59)
    assert first.community_id == world.community.id
    assert first.first_handler_id == staff.user_id and first.assignee_id == staff.user_id
    assert first.reporter_phone == "13812345678"  # normalised
    assert first.first_response_at is None
    (event,) = events_of(session, first.id)
    assert (event.action, event.from_status, event.to_status, event.actor_id) == (
        "accept",
        None,
        "accepted",
        staff.user_id,
    )
    assert json.loads(event.data)["case_no"] == "MQ-2026-000001"
    assert session.get(CaseNumberCounter, 2026).last_seq == 2


@pytest.mark.parametrize(
    ("overrides", "deadline"),
    [
        ({"handling_type": "immediate"}, dt.datetime(2026, 11, 20, 23, 59, 59)),
        ({"handling_type": "return"}, dt.datetime(2026, 11, 23, 23, 59, 59)),
        ({"handling_type": "supplement"}, dt.datetime(2026, 11, 25, 23, 59, 59)),
        ({"handling_type": "escalate", "urgent": True}, dt.datetime(2026, 11, 20, 23, 59, 59)),
        (
            {"handling_type": "promised", "promised_date": dt.date(2026, 12, 1)},
            dt.datetime(2026, 12, 1, 23, 59, 59),
        ),
        # National Day 2026: 10-01..10-07 off, Saturday 10-10 a 调休 workday.
        (
            {"handling_type": "escalate", "accepted_at": dt.datetime(2026, 9, 30, 9, 0)},
            dt.datetime(2026, 10, 10, 23, 59, 59),
        ),
    ],
)
def test_accept_deadline_follows_calendar(session, world, staff, overrides, deadline):
    case = accept_case(session, draft=draft(world, **overrides), actor=staff, now=NOW, rules=RULES)
    assert case.deadline_at == deadline


def test_case_numbers_restart_per_year(session, world, staff):
    old = accept_case(
        session,
        draft=draft(world, accepted_at=dt.datetime(2025, 12, 31, 18, 0)),
        actor=staff,
        now=NOW,
        rules=RULES,
    )
    new = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    assert (old.case_no, new.case_no) == ("MQ-2025-000001", "MQ-2026-000001")


def test_validation_failure_writes_nothing(session, world, staff):
    bad = draft(
        world,
        reporter_phone="12345",
        description=" ",
        handling_type="promised",
        promised_date=dt.date(2026, 11, 19),
    )
    with pytest.raises(ValidationFailed) as caught:
        accept_case(session, draft=bad, actor=staff, now=NOW, rules=RULES)
    assert set(caught.value.errors) == {"reporter_phone", "description", "promised_date"}
    assert caught.value.errors["promised_date"] == "承诺办结日期不能早于受理日期"
    assert caught.value.errors["description"] == "请填写诉求内容"
    assert (count(session, Case), count(session, CaseEvent)) == (0, 0)
    assert count(session, CaseNumberCounter) == 0


def test_grid_worker_accepts_only_in_own_cells_and_viewer_not_at_all(session, world):
    worker = actor_of(world, "gridworker")
    with pytest.raises(ValidationFailed) as caught:
        accept_case(
            session,
            draft=draft(world, grid_cell_id=world.cells[1].id),
            actor=worker,
            now=NOW,
            rules=RULES,
        )
    assert caught.value.errors == {"grid_cell_id": "只能登记您负责网格内的民情"}
    with pytest.raises(PermissionDenied):
        accept_case(
            session, draft=draft(world), actor=actor_of(world, "viewer"), now=NOW, rules=RULES
        )
    own = accept_case(session, draft=draft(world), actor=worker, now=NOW, rules=RULES)
    assert own.case_no == "MQ-2026-000001" and count(session, Case) == 1


def test_repeat_link_and_assignee(session, world, staff):
    first = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    secretary = world.users["secretary"].id
    repeat = accept_case(
        session,
        draft=draft(world, repeat_of_id=first.id, assignee_id=secretary, anonymous=True),
        actor=staff,
        now=NOW,
        rules=RULES,
    )
    assert (repeat.is_repeat, repeat.repeat_of_id, repeat.assignee_id) == (
        True,
        first.id,
        secretary,
    )
    assert repeat.reporter_name is None and repeat.is_anonymous
    assert json.loads(events_of(session, repeat.id)[0].data)["repeat_of"] == first.case_no


# ---------------------------------------------------------------------------------------------
# Actions


def test_full_pipeline_each_step_writes_one_event(session, world, staff):
    case = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    t1 = NOW + dt.timedelta(hours=2)
    act(session, case, A.START, staff, now=t1, note="已联系居民")
    assert (case.status, case.first_response_at, case.version) == ("in_progress", t1, 2)
    t2 = dt.datetime(2026, 11, 24, 15, 0)
    act(session, case, A.FINISH_RESOLVED, staff, now=t2, result="已更换灯泡", level="community")
    assert (case.status, case.finished_at, case.handling_working_days) == ("resolved", t2, 2)
    assert (case.result, case.resolved_level) == ("已更换灯泡", "community")
    act(session, case, A.NOTIFY, staff, now=t2, method="phone")
    assert (case.status, case.notified_at, case.notify_method) == ("notified", t2, "phone")
    t3 = dt.datetime(2026, 11, 26, 9, 0)
    act(session, case, A.FOLLOW_UP, staff, now=t3, satisfaction="satisfied")
    assert (case.status, case.followed_up_at, case.satisfaction) == ("followed_up", t3, "satisfied")
    act(session, case, A.ARCHIVE, staff, now=t3)
    assert case.status == "archived" and case.version == 6
    steps = [(e.action, e.from_status, e.to_status) for e in events_of(session, case.id)]
    assert steps == [
        ("accept", None, "accepted"),
        ("start", "accepted", "in_progress"),
        ("finish_resolved", "in_progress", "resolved"),
        ("notify", "resolved", "notified"),
        ("follow_up", "notified", "followed_up"),
        ("archive", "followed_up", "archived"),
    ]
    assert case.first_response_at == t1  # set once, by the first handling action


def test_pause_and_resume_move_the_deadline(session, world, staff):
    case = accept_case(
        session, draft=draft(world, handling_type="supplement"), actor=staff, now=NOW, rules=RULES
    )
    assert case.deadline_at == dt.datetime(2026, 11, 25, 23, 59, 59)
    act(session, case, A.REQUEST_MATERIALS, staff, materials="户口簿复印件")
    assert (case.status, case.paused_at, case.first_response_at) == (
        "awaiting_materials",
        NOW,
        NOW,
    )
    resumed = dt.datetime(2026, 11, 24, 11, 0)  # Mon + Tue lost while waiting
    act(session, case, A.MATERIALS_RECEIVED, staff, now=resumed)
    assert case.status == "in_progress" and case.paused_at is None
    assert case.deadline_at == dt.datetime(2026, 11, 27, 23, 59, 59)
    data = json.loads(events_of(session, case.id)[-1].data)
    assert data["changes"]["deadline_at"]["new"] == "2026-11-27 23:59:59"
    assert events_of(session, case.id)[1].note == "户口簿复印件"


def test_escalate_and_answer(session, world, staff):
    case = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    with pytest.raises(ValidationFailed) as caught:
        act(
            session, case, A.ESCALATE, staff, level="department", expected_date=dt.date(2026, 12, 4)
        )
    assert caught.value.errors == {"department": "请填写上报的部门名称"}
    act(
        session,
        case,
        A.ESCALATE,
        staff,
        level="department",
        department="区住建局",
        expected_date=dt.date(2026, 12, 4),
    )
    assert (case.status, case.escalated_to) == ("escalated", "上级部门·区住建局")
    assert case.escalation_due_at == dt.datetime(2026, 12, 4, 23, 59, 59)
    assert case.deadline_at == dt.datetime(2026, 12, 4, 23, 59, 59)
    act(session, case, A.ESCALATION_ANSWERED, staff, answer="已列入明年维修计划")
    assert case.status == "in_progress"
    act(session, case, A.FINISH_ANSWERED, staff, result="已答复居民", level="department")
    assert (case.status, case.resolved_level) == ("answered", "department")
    assert [e.action for e in events_of(session, case.id)] == [
        "accept",
        "escalate",
        "escalation_answered",
        "finish_answered",
    ]


def test_return_requires_reason(session, world, staff):
    case = accept_case(
        session, draft=draft(world, handling_type="return"), actor=staff, now=NOW, rules=RULES
    )
    with pytest.raises(ValidationFailed) as caught:
        act(session, case, A.RETURN, staff, reason="  ")
    assert caught.value.errors == {"reason": "请填写退回理由"}
    assert len(events_of(session, case.id)) == 1
    act(session, case, A.RETURN, staff, reason="属于物业合同纠纷，请向法院起诉")
    assert (case.status, case.return_reason, case.finished_at) == (
        "returned",
        "属于物业合同纠纷，请向法院起诉",
        None,
    )


def test_dissatisfied_follow_up_reopens(session, world, staff):
    case = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    act(session, case, A.FINISH_RESOLVED, staff, result="已处理", level="community")
    act(session, case, A.NOTIFY, staff, method="home")
    later = dt.datetime(2026, 11, 23, 10, 0)
    with pytest.raises(ValidationFailed):
        act(session, case, A.FOLLOW_UP, staff, now=later, satisfaction="dissatisfied")
    act(session, case, A.FOLLOW_UP, staff, now=later, satisfaction="dissatisfied", note="灯又坏了")
    assert (case.status, case.satisfaction, case.finished_at, case.resolved_level) == (
        "in_progress",
        "dissatisfied",
        None,
        None,
    )
    assert case.deadline_at == dt.datetime(2026, 11, 26, 23, 59, 59)  # Mon + 3 working days
    last = events_of(session, case.id)[-1]
    assert (last.action, last.from_status, last.to_status, last.note) == (
        "follow_up",
        "notified",
        "in_progress",
        "灯又坏了",
    )


def test_remind_reassign_note_and_correct(session, world, staff):
    case = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    secretary = actor_of(world, "secretary")
    act(session, case, A.REMIND, secretary, note="请今天内联系居民")
    act(session, case, A.REASSIGN, secretary, assignee_id=world.users["gridworker"].id)
    assert case.assignee_id == world.users["gridworker"].id
    act(session, case, A.NOTE, staff, note="居民白天不在家")
    act(
        session,
        case,
        A.CORRECT,
        staff,
        field="category_id",
        value=world.categories[5].id,
        note="类别选错",
    )
    act(session, case, A.CORRECT, staff, field="reporter_phone", value="0731-84561234", note="记错")
    assert (case.category_id, case.reporter_phone, case.status) == (
        world.categories[5].id,
        "0731-84561234",
        "accepted",
    )
    events = events_of(session, case.id)
    assert [e.action for e in events] == [
        "accept",
        "remind",
        "reassign",
        "note",
        "correct",
        "correct",
    ]
    category_fix = json.loads(events[4].data)
    assert category_fix == {
        "field": "category_id",
        "old": world.categories[3].id,
        "new": world.categories[5].id,
        "old_label": "环境卫生",
        "new_label": "社区事务",
    }
    assert json.loads(events[5].data) == {
        "field": "reporter_phone",
        "old": "13812345678",
        "new": "0731-84561234",
    }
    assert json.loads(events[2].data)["changes"]["assignee_id"] == {
        "old": staff.user_id,
        "new": world.users["gridworker"].id,
    }
    assert case.first_response_at is None  # reminders and notes are not handling
    detail = open_case(session, case_id=case.id, actor=staff, now=NOW, rules=RULES)
    assert detail.timeline[4].details == "类别：环境卫生 → 社区事务"
    assert detail.timeline[2].details == "承办人：社区工作人员甲 → 网格员甲"
    assert [e.actor_name for e in detail.timeline[:3]] == [
        "社区工作人员甲",
        "社区书记/主任甲",
        "社区书记/主任甲",
    ]


REFUSED_TRANSITIONS = [
    (S.ACCEPTED, A.NOTIFY),
    (S.ACCEPTED, A.ARCHIVE),
    (S.ACCEPTED, A.MATERIALS_RECEIVED),
    (S.IN_PROGRESS, A.START),
    (S.RESOLVED, A.FINISH_ANSWERED),
    (S.NOTIFIED, A.ARCHIVE),
    (S.ARCHIVED, A.CORRECT),
    (S.RETURNED, A.START),
]


@pytest.mark.parametrize(("status", "action"), REFUSED_TRANSITIONS)
def test_refused_transitions_write_nothing(session, world, staff, status, action):
    case = make_case(session, world, status=status.value)
    fields = {"note": "x", "field": "description", "value": "新的诉求内容描述", "method": "phone"}
    with pytest.raises(TransitionError, match="不能执行"):
        act(session, case, action, staff, **fields)
    session.expire_all()
    assert session.get(Case, case.id).version == 1 and events_of(session, case.id) == []


@pytest.mark.parametrize(
    ("role", "action"),
    [
        ("gridworker", A.ESCALATE),
        ("gridworker", A.RETURN),
        ("gridworker", A.REASSIGN),
        ("gridworker", A.CORRECT),
        ("viewer", A.NOTE),
        ("viewer", A.START),
    ],
)
def test_refused_roles(session, world, role, action):
    case = make_case(session, world)
    with pytest.raises(PermissionDenied, match="不能执行"):
        act(session, case, action, actor_of(world, role), note="x", reason="x")
    assert events_of(session, case.id) == []


def test_grid_worker_only_acts_in_own_cells(session, world):
    worker = actor_of(world, "gridworker")
    outside = make_case(session, world, grid_cell_id=world.cells[1].id)
    inside = make_case(session, world, grid_cell_id=world.cells[0].id)
    with pytest.raises(PermissionDenied, match="不在您负责的网格"):
        act(session, outside, A.START, worker)
    with pytest.raises(PermissionDenied):
        open_case(session, case_id=outside.id, actor=worker, now=NOW, rules=RULES)
    act(session, inside, A.START, worker)
    assert inside.status == "in_progress" and events_of(session, outside.id) == []
    detail = open_case(session, case_id=inside.id, actor=worker, now=NOW, rules=RULES)
    assert A.ESCALATE not in detail.actions and A.FINISH_RESOLVED in detail.actions


def test_case_detail_actions_and_masking(session, world, staff):
    case = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    detail = open_case(session, case_id=case.id, actor=staff, now=NOW, rules=RULES)
    assert detail.case.reporter_phone == "138****5678" and detail.case.category == "环境卫生"
    assert session.scalars(select(AuditEntry.action)).all() == []  # masked view: not recorded
    assert detail.actions == [
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
    ]
    assert [(e.action_label, e.to_label) for e in detail.timeline] == [("受理", "已受理")]
    viewer = open_case(
        session, case_id=case.id, actor=actor_of(world, "viewer"), now=NOW, rules=RULES
    )
    assert (viewer.case.reporter_phone, viewer.case.reporter_name) == ("138****5678", "王*")
    assert viewer.actions == []


def test_revealing_personal_data_is_recorded_and_refused_to_viewers(session, world, staff):
    case = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    full = open_case(
        session, case_id=case.id, actor=staff, now=NOW, rules=RULES, reveal_personal=True
    )
    assert (full.case.reporter_phone, full.case.reporter_name) == ("13812345678", "王五")
    viewer = open_case(
        session, case_id=case.id, actor=actor_of(world, "viewer"), now=NOW, rules=RULES,
        reveal_personal=True,
    )  # fmt: skip
    assert viewer.case.reporter_phone == "138****5678"
    entries = session.execute(
        select(AuditEntry.username, AuditEntry.action, AuditEntry.target)
    ).all()
    assert entries == [("staff", "personal_data.view", case.case_no)]


def test_out_of_scope_requests_are_recorded(session, world):
    worker = actor_of(world, "gridworker")
    outside = make_case(session, world, grid_cell_id=world.cells[1].id)
    with pytest.raises(PermissionDenied):
        open_case(session, case_id=outside.id, actor=worker, now=NOW, rules=RULES)
    with pytest.raises(PermissionDenied):
        act(session, outside, A.START, worker)
    rows = session.execute(select(AuditEntry.username, AuditEntry.action, AuditEntry.target)).all()
    assert rows == [("gridworker", "scope.refused", outside.case_no)] * 2


# ---------------------------------------------------------------------------------------------
# Two people, one case


def test_optimistic_locking_with_two_sessions(sessions, world):
    staff = actor_of(world, "staff")
    secretary = actor_of(world, "secretary")
    with sessions() as setup:
        case_id = accept_case(setup, draft=draft(world), actor=staff, now=NOW, rules=RULES).id
    first, second = sessions(), sessions()
    try:
        seen_first = open_case(first, case_id=case_id, actor=staff, now=NOW, rules=RULES)
        seen_second = open_case(second, case_id=case_id, actor=secretary, now=NOW, rules=RULES)
        assert seen_first.case.version == seen_second.case.version == 1
        apply_action(
            first,
            case_id=case_id,
            expected_version=1,
            action=A.START,
            actor=staff,
            now=NOW + dt.timedelta(minutes=5),
            rules=RULES,
        )
        # The second session still holds version 1 in memory: the UPDATE's version guard fires.
        with pytest.raises(StaleCase) as caught:
            apply_action(
                second,
                case_id=case_id,
                expected_version=1,
                action=A.RETURN,
                actor=secretary,
                now=NOW + dt.timedelta(minutes=6),
                rules=RULES,
                reason="不属于社区职责",
            )
        assert str(caught.value) == (
            "该案件刚被 社区工作人员甲 于 2026-11-20 10:05 更新，已为您载入最新状态，请确认后重试"
        )
        assert caught.value.current_version == 2
        fresh = open_case(second, case_id=case_id, actor=secretary, now=NOW, rules=RULES)
        assert (fresh.case.status, fresh.case.version) == ("in_progress", 2)
        # A stale version caught before any write, in a fresh session.
        with sessions() as third, pytest.raises(StaleCase):
            apply_action(
                third,
                case_id=case_id,
                expected_version=1,
                action=A.NOTE,
                actor=secretary,
                now=NOW,
                rules=RULES,
                note="迟到的备注",
            )
    finally:
        first.close()
        second.close()
    with sessions() as check:
        stored = check.get(Case, case_id)
        assert (stored.status, stored.version, stored.return_reason) == ("in_progress", 2, None)
        actions = check.scalars(
            select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all()
        assert actions == ["accept", "start"]


def test_number_blocks_are_contiguous_and_a_rollback_gives_them_back(session, world, staff):
    ensure_counter_row(session, 2026)
    assert allocate_case_seqs(session, 2026, 3) == range(1, 4)
    assert allocate_case_seq(session, 2026) == 4
    session.commit()
    assert allocate_case_seqs(session, 2026, 5) == range(5, 10)
    session.rollback()
    assert allocate_case_seqs(session, 2026, 2) == range(5, 7)
    session.commit()
    case = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    assert case.case_no == "MQ-2026-000007"


# ---------------------------------------------------------------------------------------------
# 化解层级 and 办理时长 at finish


def _escalated(session, world, staff, level: str, **extra) -> Case:
    case = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    act(session, case, A.ESCALATE, staff, level=level, expected_date=dt.date(2026, 12, 4), **extra)
    act(session, case, A.ESCALATION_ANSWERED, staff, answer="区里已安排维修")
    return case


@pytest.mark.parametrize(
    ("level", "extra", "recorded"),
    [
        ("district", {}, "district"),
        ("department", {"department": "区住建局"}, "department"),
    ],
)
def test_finish_without_a_level_takes_the_escalation_target(
    session, world, staff, level, extra, recorded
):
    case = _escalated(session, world, staff, level, **extra)
    act(session, case, A.FINISH_RESOLVED, staff, result="已修复")
    assert (case.status, case.resolved_level) == ("resolved", recorded)


def test_an_explicit_level_wins_over_the_escalation_target(session, world, staff):
    case = _escalated(session, world, staff, "district")
    act(session, case, A.FINISH_RESOLVED, staff, result="社区自行修复", level="community")
    assert case.resolved_level == "community"


def test_finish_without_escalation_or_level_is_refused(session, world, staff):
    case = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    with pytest.raises(ValidationFailed) as caught:
        act(session, case, A.FINISH_RESOLVED, staff, result="已处理")
    assert caught.value.errors == {"level": "请选择化解层级（社区、街道、区或上级部门）"}
    session.refresh(case)
    assert (case.status, case.resolved_level, len(events_of(session, case.id))) == (
        "accepted",
        None,
        1,
    )


def test_handling_days_leave_out_the_days_waiting_for_materials(session, world, staff):
    case = accept_case(
        session, draft=draft(world, handling_type="supplement"), actor=staff, now=NOW, rules=RULES
    )
    act(session, case, A.REQUEST_MATERIALS, staff, now=NOW, materials="户口簿复印件")
    resumed = dt.datetime(2026, 11, 27, 10, 0)  # Fri 11-20 → Fri 11-27: 5 working days waiting
    act(session, case, A.MATERIALS_RECEIVED, staff, now=resumed)
    finished = dt.datetime(2026, 12, 1, 16, 0)  # Tue: 7 working days after acceptance
    act(session, case, A.FINISH_RESOLVED, staff, now=finished, result="已办理", level="community")
    assert case.handling_working_days == 2
