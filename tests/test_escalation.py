"""Escalation as a hand-off (上报街道 → 签收 → 答复 or 退回社区), 上报 to outside units with their
回单, and 上级转办 intake with its order number, deadline and 回单 sheet (three backends)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from db.models import Case, CaseEvent, OutsideUnit
from db.queries.dashboard_lists import escalated_cases
from db.queries.escalations import QueueKind, queue, queue_counts, reply_sheet_rows
from db.queries.kpis import kpi_snapshot
from db.queries.ledger import LedgerFilters, ledger_page, row_record
from db.queries.scope import Scope
from domain.deadlines import end_of, with_external_deadline
from domain.errors import PermissionDenied, ValidationFailed
from domain.kpis import Period, Ratio
from domain.roles import Actor, Role
from domain.workflow import Action as A
from services.cases import accept_case, apply_action
from services.outside_units import save_outside_unit
from services.reply_sheet import render_reply_sheet
from tests.factories import NOW, World, make_world
from tests.helpers.cases import RULES, actor_of, draft

LATER = NOW + dt.timedelta(hours=2)
NOVEMBER = Period(dt.datetime(2026, 11, 1), dt.datetime(2026, 12, 1))


@pytest.fixture
def world(session) -> World:
    return make_world(session)


@pytest.fixture
def staff(world) -> Actor:
    return actor_of(world, "staff")


@pytest.fixture
def desk(world) -> Actor:
    """The 街道 staff: their unit is the whole 街道 (no 社区)."""
    user = world.users["subdistrict_staff"]
    return Actor(user.id, user.username, Role.SUBDISTRICT_STAFF, "街道工作人员甲", None, None)


def act(session, case: Case, action: A, actor: Actor, now=LATER, **fields) -> Case:
    session.refresh(case)
    return apply_action(
        session, case_id=case.id, expected_version=case.version, action=action, actor=actor,
        now=now, rules=RULES, **fields,
    )  # fmt: skip


def timeline(session, case: Case) -> list[tuple[str, str | None]]:
    rows = session.execute(
        select(CaseEvent.action, CaseEvent.to_status)
        .where(CaseEvent.case_id == case.id)
        .order_by(CaseEvent.id)
    )
    return [(a, s) for a, s in rows]


def handed_up(session, world, staff) -> Case:
    case = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    act(session, case, A.ESCALATE_TO_SUBDISTRICT, staff, expected_date=dt.date(2026, 11, 27))
    return case


# ---------------------------------------------------------------------------------------------
# 上报街道: the 街道 staff's queue


def test_hand_off_signed_and_answered_at_the_subdistrict(session, world, staff, desk):
    case = handed_up(session, world, staff)
    assert (case.status, case.escalated_to) == ("to_subdistrict", "街道")
    assert case.deadline_at == dt.datetime(2026, 11, 27, 23, 59, 59)
    assert [r.case_no for r in queue(session, kind=QueueKind.TO_SIGN, actor=desk, now=LATER,
                                       rules=RULES)] == [case.case_no]  # fmt: skip
    assert queue_counts(session, actor=desk) == {
        QueueKind.TO_SIGN: 1, QueueKind.AT_SUBDISTRICT: 0, QueueKind.OUTSIDE: 0,
    }  # fmt: skip
    act(session, case, A.SIGN_FOR, desk)
    assert case.status == "at_subdistrict"
    # The 社区 watches: it may not answer a case the 街道 holds.
    with pytest.raises(PermissionDenied, match="已上报街道，由街道工作人员办理"):
        act(session, case, A.FINISH_ANSWERED, staff, result="社区代答")
    act(session, case, A.FINISH_ANSWERED, desk, result="街道城管办已协调清运", level="community")
    assert (case.status, case.resolved_level) == ("answered", "subdistrict")
    assert timeline(session, case) == [
        ("accept", "accepted"),
        ("to_subdistrict", "to_subdistrict"),
        ("sign_for", "at_subdistrict"),
        ("finish_answered", "answered"),
    ]
    snapshot = kpi_snapshot(session, period=NOVEMBER, now=LATER)
    assert snapshot.resolution == Ratio(1, 1)
    assert snapshot.community_resolution == Ratio(0, 1)  # resolved at the 街道, not the 社区


def test_subdistrict_staff_do_not_handle_the_communitys_cases(session, world, staff, desk):
    case = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    with pytest.raises(PermissionDenied, match="该案件由社区办理"):
        act(session, case, A.FINISH_RESOLVED, desk, result="越级办理", level="subdistrict")
    with pytest.raises(PermissionDenied, match="不能执行「街道签收」"):
        act(session, handed_up(session, world, staff), A.SIGN_FOR, staff)


@pytest.mark.parametrize("signed", [False, True])
def test_hand_back_needs_a_reason_and_returns_the_case(session, world, staff, desk, signed):
    case = handed_up(session, world, staff)
    if signed:
        act(session, case, A.SIGN_FOR, desk)
    before = timeline(session, case)
    with pytest.raises(ValidationFailed) as refused:
        act(session, case, A.HAND_BACK, desk, reason="  ")
    assert refused.value.errors == {"reason": "请填写退回社区的理由"}
    assert timeline(session, case) == before
    act(session, case, A.HAND_BACK, desk, reason="属社区职责，请社区办理")
    assert case.status == "in_progress"
    event = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()
    assert (event.action, event.note) == ("hand_back", "属社区职责，请社区办理")
    # Back at the 社区, it is finished at the 社区's level, not silently at the 街道.
    with pytest.raises(ValidationFailed, match="请选择化解层级"):
        act(session, case, A.FINISH_RESOLVED, staff, result="社区已清理")
    act(session, case, A.FINISH_RESOLVED, staff, result="社区已清理", level="community")
    assert case.resolved_level == "community"


# ---------------------------------------------------------------------------------------------
# 上报上级单位: the directory, reference number, deadline and 回单


def _unit(session, world) -> OutsideUnit:
    admin = actor_of(world, "admin")
    return save_outside_unit(
        session, actor=admin, name="区城管局", level="district", contact="0731-84110001",
        typical_days=15, now=NOW,
    )  # fmt: skip


def test_outside_escalation_with_reference_deadline_and_reply(session, world, staff):
    unit = _unit(session, world)
    case = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    act(session, case, A.ESCALATE, staff, outside_unit_id=unit.id, reference_no="CG-2026-0815",
        expected_date=dt.date(2026, 12, 11))  # fmt: skip
    assert (case.status, case.escalated_to, case.escalation_ref, case.outside_unit_id) == (
        "escalated", "区·区城管局", "CG-2026-0815", unit.id,
    )  # fmt: skip
    assert case.deadline_at == case.escalation_due_at == dt.datetime(2026, 12, 11, 23, 59, 59)
    with pytest.raises(ValidationFailed) as refused:
        act(session, case, A.ESCALATION_ANSWERED, staff, answer="已处理", answered_on="2026-11-21")
    assert refused.value.errors == {"answered_on": "回单日期不能晚于今天"}
    act(session, case, A.ESCALATION_ANSWERED, staff, answer="已清运垃圾", answered_on="2026-11-19",
        answered_by="王科长")  # fmt: skip
    data = json.loads(
        session.scalar(
            select(CaseEvent.data).where(
                CaseEvent.case_id == case.id, CaseEvent.action == "escalation_answered"
            )
        )
    )
    assert data == {
        "answer": "已清运垃圾", "answered_on": "2026-11-19", "answered_by": "王科长",
        "escalated_to": "区·区城管局", "reference_no": "CG-2026-0815",
    }  # fmt: skip
    act(session, case, A.FINISH_RESOLVED, staff, result="区城管局已清运")
    assert case.resolved_level == "district"


def test_subdistrict_sends_on_beyond_itself(session, world, staff, desk):
    unit = _unit(session, world)
    case = handed_up(session, world, staff)
    act(session, case, A.SIGN_FOR, desk)
    with pytest.raises(PermissionDenied, match="已上报街道，由街道工作人员办理"):
        act(session, case, A.ESCALATE, staff, outside_unit_id=unit.id,
            expected_date=dt.date(2026, 12, 11))  # fmt: skip
    act(session, case, A.ESCALATE, desk, outside_unit_id=unit.id, reference_no="QU-77",
        expected_date=dt.date(2026, 12, 11))  # fmt: skip
    assert (case.status, case.escalated_to, case.escalation_ref) == (
        "escalated", "区·区城管局", "QU-77",
    )  # fmt: skip
    assert [r.case_no for r in queue(session, kind=QueueKind.OUTSIDE, actor=desk, now=LATER,
                                       rules=RULES)] == [case.case_no]  # fmt: skip
    # The 区's answer reaches the 街道, which answers the case: resolved at the 区.
    act(session, case, A.FINISH_ANSWERED, desk, result="区城管局已清运")
    assert (case.status, case.resolved_level) == ("answered", "district")
    assert [a for a, _ in timeline(session, case)] == [
        "accept", "to_subdistrict", "sign_for", "escalate", "finish_answered",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"level": "subdistrict"}, {"level": "上报街道请选择「上报街道」，由街道工作人员签收办理"}),
        ({}, {"outside_unit_id": "请选择上报的外部单位（或填写层级和部门）"}),
        ({"outside_unit_id": 999}, {"outside_unit_id": "所选外部单位不存在或已停用"}),
        ({"level": "department"}, {"department": "请填写上报的部门名称"}),
    ],
)
def test_outside_escalation_refusals_write_nothing(session, world, staff, fields, errors):
    case = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    with pytest.raises(ValidationFailed) as refused:
        act(session, case, A.ESCALATE, staff, expected_date=dt.date(2026, 12, 1), **fields)
    assert refused.value.errors == errors
    session.refresh(case)
    assert (case.status, case.escalated_to, len(timeline(session, case))) == ("accepted", None, 1)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"name": " ", "typical_days": 10}, {"name": "请填写单位名称"}),
        ({"name": "区城管局", "typical_days": 10}, {"name": "单位「区城管局」已在名录中"}),
        ({"name": "区水务局", "typical_days": 0}, {"typical_days": "一般办理时限须为 1 到 365 个工作日"}),
        ({"name": "区水务局", "typical_days": 5, "level": "community"},
         {"level": "请选择层级（区或上级部门）"}),
    ],
)  # fmt: skip
def test_outside_unit_refusals(session, world, fields, errors):
    _unit(session, world)
    args = {"level": "district", "contact": "", **fields}
    with pytest.raises(ValidationFailed) as refused:
        save_outside_unit(session, actor=actor_of(world, "admin"), now=NOW, **args)
    assert refused.value.errors == errors
    assert session.scalars(select(OutsideUnit.name)).all() == ["区城管局"]


def test_only_the_admin_edits_the_directory(session, world, staff):
    with pytest.raises(PermissionDenied):
        save_outside_unit(session, actor=staff, name="区水务局", level="district", contact="",
                          typical_days=5, now=NOW)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# 上级转办: order number, deadline (the earlier wins) and the 回单 sheet


@pytest.mark.parametrize(
    ("computed", "external", "deadline"),
    [
        (dt.datetime(2026, 11, 25, 23, 59, 59), None, dt.datetime(2026, 11, 25, 23, 59, 59)),
        (dt.datetime(2026, 11, 25, 23, 59, 59), dt.date(2026, 11, 23),
         dt.datetime(2026, 11, 23, 23, 59, 59)),
        (dt.datetime(2026, 11, 25, 23, 59, 59), dt.date(2026, 11, 30),
         dt.datetime(2026, 11, 25, 23, 59, 59)),
        (dt.datetime(2026, 11, 25, 23, 59, 59), dt.date(2026, 11, 25),
         dt.datetime(2026, 11, 25, 23, 59, 59)),
    ],
)  # fmt: skip
def test_external_deadline_wins_if_earlier(computed, external, deadline):
    assert with_external_deadline(computed, external) == deadline


def forwarded(world, **overrides):
    fields = {"channel": "forwarded", "external_no": "12345-20261120-0007", **overrides}
    return dataclasses.replace(draft(world), **fields)


def test_forwarded_case_keeps_order_number_and_the_earlier_deadline(session, world, staff):
    case = accept_case(
        session, draft=forwarded(world, external_due_date=dt.date(2026, 11, 23)), actor=staff,
        now=NOW, rules=RULES,
    )  # fmt: skip
    assert (case.external_no, case.external_due_at) == (
        "12345-20261120-0007",
        end_of(dt.date(2026, 11, 23)),
    )
    assert case.deadline_at == end_of(dt.date(2026, 11, 23))  # computed: 11-25


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"channel": "hotline"}, {"external_no": "只有「上级转办」的民情才填写上级工单号和上级期限"}),
        ({"external_no": "X" * 41}, {"external_no": "上级工单号不能超过 40 个字符"}),
        ({"external_due_date": dt.date(2026, 11, 19)}, {"external_due_date": "上级期限不能早于受理日期"}),
    ],
)  # fmt: skip
def test_forwarded_intake_refusals_write_nothing(session, world, staff, overrides, errors):
    with pytest.raises(ValidationFailed) as refused:
        accept_case(session, draft=forwarded(world, **overrides), actor=staff, now=NOW, rules=RULES)
    assert refused.value.errors == errors
    assert session.scalars(select(Case.id)).all() == []


def test_reply_sheet_lists_forwarded_cases_finished_in_the_period(session, world, staff, desk):
    done = accept_case(session, draft=forwarded(world), actor=staff, now=NOW, rules=RULES)
    act(session, done, A.ESCALATE_TO_SUBDISTRICT, staff, expected_date=dt.date(2026, 11, 27))
    act(session, done, A.SIGN_FOR, desk)
    act(session, done, A.FINISH_RESOLVED, desk, result="已修复路灯")
    act(session, done, A.NOTIFY, staff, method="phone")
    act(session, done, A.FOLLOW_UP, staff, satisfaction="basically_satisfied")
    other = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    act(session, other, A.FINISH_RESOLVED, staff, result="已处理", level="community")
    still = accept_case(session, draft=forwarded(world, external_no="12345-B"), actor=staff,
                        now=NOW, rules=RULES)  # fmt: skip
    rows = reply_sheet_rows(
        session, actor=staff, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)
    )
    assert [(r.external_no, r.case_no, r.result, r.finished_at, r.handler, r.satisfaction)
            for r in rows] == [
        ("12345-20261120-0007", done.case_no, "已修复路灯", LATER, "街道工作人员甲", "基本满意"),
    ]  # fmt: skip
    assert still.status == "accepted"
    assert reply_sheet_rows(session, actor=staff, start=dt.date(2026, 11, 21),
                            end=dt.date(2026, 11, 30)) == []  # fmt: skip
    book = load_workbook(io.BytesIO(render_reply_sheet(rows)))
    sheet = book.active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["工单号", "案件编号", "办理情况", "办结时间", "办理人", "满意度"],
        ["12345-20261120-0007", done.case_no, "已修复路灯", "2026-11-20 12:00", "街道工作人员甲",
         "基本满意"],
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The ledger and the dashboard follow the hand-off


def test_escalated_list_keeps_cases_at_the_subdistrict(session, world, staff, desk):
    waiting = handed_up(session, world, staff)
    held = handed_up(session, world, staff)
    act(session, held, A.SIGN_FOR, desk)
    outside = accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)
    act(session, outside, A.ESCALATE, staff, level="district", department="区水务局",
        expected_date=dt.date(2026, 12, 1))  # fmt: skip
    accept_case(session, draft=draft(world), actor=staff, now=NOW, rules=RULES)  # not escalated
    listed = escalated_cases(session, now=LATER, scope=Scope(), limit=10)
    assert sorted((c.case_no, c.status, c.escalated_to) for c in listed) == sorted([
        (waiting.case_no, "待街道签收", "街道"),
        (held.case_no, "街道办理中", "街道"),
        (outside.case_no, "已上报", "区·区水务局"),
    ])  # fmt: skip


def test_ledger_filters_the_new_statuses_and_shows_the_order_number(session, world, staff, desk):
    waiting = handed_up(session, world, staff)
    held = handed_up(session, world, staff)
    act(session, held, A.SIGN_FOR, desk)
    order = accept_case(session, draft=forwarded(world), actor=staff, now=NOW, rules=RULES)
    for status, expected in (("to_subdistrict", waiting), ("at_subdistrict", held)):
        rows, total = ledger_page(
            session, filters=LedgerFilters(statuses=(status,)), now=LATER, actor=staff
        )
        assert (total, [r.case_no for r in rows]) == (1, [expected.case_no])
    rows, _ = ledger_page(session, filters=LedgerFilters(), now=LATER, actor=staff)
    numbers = {r.case_no: row_record(r)["上级工单号"] for r in rows}
    assert numbers == {
        waiting.case_no: "", held.case_no: "", order.case_no: "12345-20261120-0007",
    }  # fmt: skip
