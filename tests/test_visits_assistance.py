"""走访 and 帮扶 services on every backend: one transaction, field messages, grid scope, totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db import dashboard_cache
from db.models import Assistance, Case, CaseEvent, Visit
from db.queries import assistance as assistance_queries
from db.queries import visits as visit_queries
from db.queries.kpis import Scope, visit_facts
from domain import kpis
from domain.deadlines import ClockRules
from domain.kpis import Period, Ratio
from domain.roles import Actor, Role
from domain.validation import (
    AssistanceDraft,
    VisitDraft,
    validate_assistance,
    validate_visit,
)
from domain.validation import CaseDraft as ConcernDraft
from services import assistance as assistance_service
from services import visits as visit_service
from services.cases import PermissionDenied, ValidationFailed
from services.visits import concern_field
from tests.factories import NOW, make_world

RULES = ClockRules()
YEAR = Period.year_of(NOW.date())


def actor_for(world, role: str) -> Actor:
    user = world.users[role]
    cells = frozenset(c.id for c in user.grid_cells) if role == "gridworker" else None
    return Actor(user.id, user.username, Role(role), user.display_name, cells, user.community_id)


def visit_draft(world, **overrides) -> VisitDraft:
    fields = {
        "grid_cell_id": world.cells[0].id,
        "visited_at": NOW - dt.timedelta(hours=2),
        "visitors": "王片长、赵党员",
        "people_met": 3,
        "household_id": world.households[0].id,
        "notes": "老人身体尚好，反映楼道灯坏了",
    }
    fields.update(overrides)
    return VisitDraft(**fields)


def concern(world, **overrides) -> ConcernDraft:
    fields = {
        "category_id": world.categories[3].id,
        "handling_type": "promised",
        "description": "3栋楼道灯坏了一个多月，晚上上下楼不安全",
        "reporter_name": "李奶奶",
        "reporter_phone": "13912345678",
        "promised_date": NOW.date() + dt.timedelta(days=5),
    }
    fields.update(overrides)
    return ConcernDraft(**fields)


def counts(session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Visit)),
        session.scalar(select(func.count()).select_from(Case)),
        session.scalar(select(func.count()).select_from(CaseEvent)),
    )


# --- validators (pure) -----------------------------------------------------------------------

VISIT_CASES = [
    ({"grid_cell_id": None}, "grid_cell_id", "请选择走访的网格"),
    ({"household_id": None, "building": ""}, "household_id", "请选择走访的住户，或填写楼栋"),
    ({"visitors": "  "}, "visitors", "请填写走访人"),
    ({"people_met": None}, "people_met", "请填写见面人数"),
    ({"people_met": 0}, "people_met", "见面人数应在 1 到 100 之间"),
    ({"notes": "记" * 1001}, "notes", "走访记录不能超过 1000 字（当前 1001 字）"),
    ({"visited_at": NOW + dt.timedelta(hours=1)}, "visited_at", "走访时间不能晚于现在"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), VISIT_CASES)
def test_validate_visit_messages(overrides, field, message):
    draft = VisitDraft(grid_cell_id=1, visited_at=NOW, visitors="甲", people_met=1, household_id=1)
    for name, value in overrides.items():
        setattr(draft, name, value)
    assert validate_visit(draft, NOW) == {field: message}


ASSISTANCE_CASES = [
    ({"beneficiary": ""}, "beneficiary", "请选择受助住户，或填写受助人姓名"),
    ({"target_group": "vip"}, "target_group", "请选择帮扶对象类别"),
    ({"kind": None}, "kind", "请选择帮扶方式"),
    ({"persons_helped": 0}, "persons_helped", "受助人数应在 1 到 10,000 之间"),
    ({"value_yuan": -5.0}, "value_yuan", "金额或物品价值应在 0 到 10,000,000 元之间"),
    ({"helpers": ""}, "helpers", "请填写帮扶人"),
    ({"given_at": NOW + dt.timedelta(days=1)}, "given_at", "帮扶日期不能晚于现在"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), ASSISTANCE_CASES)
def test_validate_assistance_messages(overrides, field, message):
    draft = AssistanceDraft(
        grid_cell_id=1,
        given_at=NOW,
        beneficiary="李奶奶",
        target_group="elderly_alone",
        kind="charity_meals",
        persons_helped=1,
        helpers="志愿者",
    )
    for name, value in overrides.items():
        setattr(draft, name, value)
    assert validate_assistance(draft, NOW) == {field: message}


# --- record_visit ----------------------------------------------------------------------------


def test_visit_with_concerns_is_one_save(session):
    world = make_world(session)
    staff = actor_for(world, "staff")
    dashboard_cache.cached(("probe",), lambda: (1, None), fingerprint=("x",))
    visit, cases = visit_service.record_visit(
        session,
        draft=visit_draft(world),
        concerns=[
            concern(world),
            concern(
                world,
                description="单元门禁坏了，陌生人随意进出",
                handling_type="immediate",
                anonymous=True,
                reporter_name="",
                reporter_phone="",
            ),
        ],
        actor=staff,
        now=NOW,
        rules=RULES,
    )
    assert counts(session) == (1, 2, 2)
    assert dashboard_cache.cache_stats()["entries"] == 0  # the write cleared the cache
    year = (NOW - dt.timedelta(hours=2)).year
    assert [c.case_no for c in cases] == [f"MQ-{year}-000001", f"MQ-{year}-000002"]
    for case in cases:
        assert case.visit_id == visit.id
        assert case.channel == "home_visit"
        assert case.household_id == world.households[0].id
        assert case.grid_cell_id == world.cells[0].id
        assert case.accepted_at == visit.visited_at
        assert case.status == "accepted"
    assert cases[1].is_anonymous and cases[1].reporter_name is None
    events = session.scalars(select(CaseEvent).order_by(CaseEvent.id)).all()
    assert [e.action for e in events] == ["accept", "accept"]
    rows = visit_queries.list_visits(session, actor=staff)
    assert [(r.people_met, r.case_nos) for r in rows] == [(3, tuple(c.case_no for c in cases))]


def test_bad_concern_writes_nothing(session):
    world = make_world(session)
    with pytest.raises(ValidationFailed) as failed:
        visit_service.record_visit(
            session,
            draft=visit_draft(world),
            concerns=[concern(world), concern(world, description="短", reporter_phone="123")],
            actor=actor_for(world, "staff"),
            now=NOW,
            rules=RULES,
        )
    assert failed.value.errors == {
        concern_field(1, "description"): "诉求内容太短，请至少写 5 个字",
        concern_field(1, "reporter_phone"): (
            "电话号码格式不正确：手机为 11 位（如 13812345678），座机如 0731-84561234"
        ),
    }
    assert counts(session) == (0, 0, 0)


def test_failure_while_saving_rolls_back_visit_and_cases(session, monkeypatch):
    world = make_world(session)
    calls = []
    real = visit_service._new_case

    def fail_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(visit_service, "_new_case", fail_second)
    with pytest.raises(RuntimeError):
        visit_service.record_visit(
            session,
            draft=visit_draft(world),
            concerns=[concern(world), concern(world)],
            actor=actor_for(world, "staff"),
            now=NOW,
            rules=RULES,
        )
    assert counts(session) == (0, 0, 0)
    monkeypatch.undo()
    # The number taken by the rolled-back case is given back: numbering stays gap-free.
    _visit, cases = visit_service.record_visit(
        session,
        draft=visit_draft(world),
        concerns=[concern(world)],
        actor=actor_for(world, "staff"),
        now=NOW,
        rules=RULES,
    )
    assert cases[0].case_no.endswith("-000001")


def test_visit_field_errors_from_the_database(session):
    world = make_world(session)
    other_cell_household = world.households[-1].id  # a household of cell 2
    with pytest.raises(ValidationFailed) as failed:
        visit_service.record_visit(
            session,
            draft=visit_draft(world, household_id=other_cell_household),
            actor=actor_for(world, "staff"),
            now=NOW,
            rules=RULES,
        )
    assert failed.value.errors == {"household_id": "所选住户不在该网格内"}
    assert counts(session) == (0, 0, 0)


def test_grid_worker_only_in_own_cells(session):
    world = make_world(session)
    worker = actor_for(world, "gridworker")
    with pytest.raises(ValidationFailed) as failed:
        visit_service.record_visit(
            session,
            draft=visit_draft(world, grid_cell_id=world.cells[1].id, household_id=None, building="8栋"),
            actor=worker,
            now=NOW,
            rules=RULES,
        )  # fmt: skip
    assert failed.value.errors == {"grid_cell_id": "只能记录您负责网格内的走访"}
    visit_service.record_visit(
        session, draft=visit_draft(world), actor=worker, now=NOW, rules=RULES
    )
    staff = actor_for(world, "staff")
    visit_service.record_visit(
        session,
        draft=visit_draft(world, grid_cell_id=world.cells[1].id, household_id=None, building="8栋"),
        actor=staff,
        now=NOW,
        rules=RULES,
    )  # fmt: skip
    assert len(visit_queries.list_visits(session, actor=staff)) == 2
    assert [r.cell for r in visit_queries.list_visits(session, actor=worker)] == ["第1网格"]
    coverage = visit_queries.visit_coverage_by_cell(session, actor=worker, period=YEAR)
    assert [(c.cell, c.coverage) for c in coverage] == [("第1网格", Ratio(1, 3))]
    assert (
        visit_queries.household_choices(session, grid_cell_id=world.cells[1].id, actor=worker) == {}
    )


def test_viewer_may_not_record(session):
    world = make_world(session)
    with pytest.raises(PermissionDenied):
        visit_service.record_visit(
            session, draft=visit_draft(world), actor=actor_for(world, "viewer"), now=NOW, rules=RULES
        )  # fmt: skip
    assert counts(session) == (0, 0, 0)


def test_coverage_equals_pure_function(session):
    world = make_world(session, cells=2, households_per_cell=4)
    staff = actor_for(world, "staff")
    cell1 = [h for h in world.households if h.grid_cell_id == world.cells[0].id]
    for household, days_ago in ((cell1[0], 3), (cell1[0], 40), (cell1[1], 400), (cell1[2], 10)):
        visit_service.record_visit(
            session,
            draft=visit_draft(world, household_id=household.id, visited_at=NOW - dt.timedelta(days=days_ago)),
            actor=staff,
            now=NOW,
            rules=RULES,
        )  # fmt: skip
    coverage = {
        c.cell_id: c
        for c in visit_queries.visit_coverage_by_cell(session, actor=staff, period=YEAR)
    }
    for cell in world.cells:
        facts = visit_facts(session, Scope(grid_cell_id=cell.id))
        assert coverage[cell.id].coverage == kpis.visit_coverage(facts, 4, YEAR)
        assert coverage[cell.id].visits == kpis.visit_count(facts, YEAR)
    assert coverage[world.cells[0].id].coverage == Ratio(2, 4)  # 400 days ago is last year


# --- assistance ------------------------------------------------------------------------------


def assistance_draft(world, **overrides) -> AssistanceDraft:
    fields = {
        "grid_cell_id": world.cells[0].id,
        "given_at": NOW - dt.timedelta(days=1),
        "beneficiary": "李奶奶",
        "target_group": "elderly_alone",
        "kind": "charity_meals",
        "persons_helped": 13,
        "helpers": "党员志愿服务队",
        "value_yuan": 390.0,
    }
    fields.update(overrides)
    return AssistanceDraft(**fields)


def test_record_list_and_total_assistance(session):
    world = make_world(session)
    staff = actor_for(world, "staff")
    records = [
        assistance_draft(world),
        assistance_draft(world, kind="charity_shop", persons_helped=142, value_yuan=2840.5),
        assistance_draft(
            world,
            target_group="low_income",
            persons_helped=2,
            value_yuan=None,
            grid_cell_id=world.cells[1].id,
            beneficiary="",
            household_id=world.households[-1].id,
        ),
        assistance_draft(world, given_at=NOW - dt.timedelta(days=400), persons_helped=99),
    ]
    for draft in records:
        assistance_service.record_assistance(session, draft=draft, actor=staff, now=NOW)
    assert session.scalar(select(func.count()).select_from(Assistance)) == 4
    by_kind, by_group = assistance_queries.assistance_totals(session, actor=staff, period=YEAR)
    assert [(t.label, t.records, t.persons_helped, t.value_yuan) for t in by_kind] == [
        ("爱心盒饭", 2, 15, Decimal("390.00")),
        ("爱心超市物品", 1, 142, Decimal("2840.50")),
    ]
    assert [(t.label, t.records, t.persons_helped) for t in by_group] == [
        ("三无/空巢老人（橙卡）", 2, 155),
        ("低保户", 1, 2),
    ]
    listed = assistance_queries.list_assistance(session, actor=staff)
    assert [r.persons_helped for r in listed] == [2, 142, 13, 99]  # newest first
    # An empty beneficiary takes the chosen household's head.
    assert listed[0].beneficiary == world.households[-1].head_name
    worker = actor_for(world, "gridworker")
    assert {r.cell for r in assistance_queries.list_assistance(session, actor=worker)} == {
        "第1网格"
    }


def test_bad_assistance_writes_nothing(session):
    world = make_world(session)
    with pytest.raises(ValidationFailed) as failed:
        assistance_service.record_assistance(
            session,
            draft=assistance_draft(world, persons_helped=None, kind=""),
            actor=actor_for(world, "staff"),
            now=NOW,
        )
    assert failed.value.errors == {"persons_helped": "请填写受助人数", "kind": "请选择帮扶方式"}
    with pytest.raises(ValidationFailed) as failed:
        assistance_service.record_assistance(
            session,
            draft=assistance_draft(world, grid_cell_id=world.cells[1].id),
            actor=actor_for(world, "gridworker"),
            now=NOW,
        )
    assert failed.value.errors == {"grid_cell_id": "只能记录您负责网格内的帮扶"}
    assert session.scalar(select(func.count()).select_from(Assistance)) == 0
