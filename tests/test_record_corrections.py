"""更正 of visits and assistance records: same rules as a new record, scope, history, rollups."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.models import Assistance, AuditEntry, RecordChange, Visit
from db.queries.access import REFUSED
from domain.errors import OutOfScope
from domain.validation import AssistanceDraft, VisitDraft
from services import assistance as assistance_service
from services import visits as visit_service
from services.cases import PermissionDenied, ValidationFailed
from tests.factories import NOW, make_world
from tests.helpers.cases import RULES, actor_of


def _visit(session, world) -> tuple[Visit, VisitDraft]:
    draft = VisitDraft(
        grid_cell_id=world.cells[0].id,
        visited_at=NOW.replace(microsecond=0, second=0) - dt.timedelta(hours=2),
        visitors="王片长",
        people_met=3,
        household_id=world.households[0].id,
        notes="老人身体尚好",
    )
    visit, _ = visit_service.record_visit(
        session, draft=draft, actor=actor_of(world, "staff"), now=NOW, rules=RULES
    )
    return visit, draft


def _assistance(session, world) -> tuple[Assistance, AssistanceDraft]:
    draft = AssistanceDraft(
        grid_cell_id=world.cells[0].id,
        given_at=NOW.replace(microsecond=0, second=0) - dt.timedelta(days=1),
        beneficiary="李奶奶",
        target_group="elderly_alone",
        kind="charity_meals",
        persons_helped=13,
        helpers="党员志愿服务队",
        value_yuan=390.0,
    )
    record = assistance_service.record_assistance(
        session, draft=draft, actor=actor_of(world, "staff"), now=NOW
    )
    return record, draft


def _changes(session, entity: str) -> list[tuple[str, int, str, dict, dict]]:
    return [
        (c.username, c.entity_id, c.action, json.loads(c.before or "{}"), json.loads(c.after or "{}"))
        for c in session.scalars(
            select(RecordChange).where(RecordChange.entity == entity).order_by(RecordChange.id)
        )
    ]  # fmt: skip


def test_correct_visit_changes_fields_and_records_before_after(session):
    world = make_world(session)
    visit, draft = _visit(session, world)
    moved = dataclasses.replace(
        draft, grid_cell_id=world.cells[1].id, household_id=world.households[3].id, people_met=5
    )
    changed = visit_service.correct_visit(
        session, visit_id=visit.id, draft=moved, actor=actor_of(world, "staff"), now=NOW
    )
    assert changed == {
        "grid_cell_id": world.cells[1].id,
        "household_id": world.households[3].id,
        "people_met": 5,
    }
    session.expire_all()
    stored = session.get(Visit, visit.id)
    assert (stored.grid_cell_id, stored.people_met) == (world.cells[1].id, 5)
    assert _changes(session, "visit") == [
        (
            "staff",
            visit.id,
            "update",
            {
                "grid_cell_id": world.cells[0].id,
                "household_id": world.households[0].id,
                "people_met": 3,
            },
            {
                "grid_cell_id": world.cells[1].id,
                "household_id": world.households[3].id,
                "people_met": 5,
            },
        )
    ]
    # The same values again change nothing and record nothing.
    assert (
        visit_service.correct_visit(
            session, visit_id=visit.id, draft=moved, actor=actor_of(world, "staff"), now=NOW
        )
        == {}
    )
    assert len(_changes(session, "visit")) == 1


def test_bad_visit_correction_writes_nothing(session):
    world = make_world(session)
    visit, draft = _visit(session, world)
    bad = dataclasses.replace(draft, people_met=None, visitors=" ")
    with pytest.raises(ValidationFailed) as failed:
        visit_service.correct_visit(
            session, visit_id=visit.id, draft=bad, actor=actor_of(world, "staff"), now=NOW
        )
    assert failed.value.errors == {"people_met": "请填写见面人数", "visitors": "请填写走访人"}
    wrong_house = dataclasses.replace(draft, household_id=world.households[4].id)
    with pytest.raises(ValidationFailed) as failed:
        visit_service.correct_visit(
            session, visit_id=visit.id, draft=wrong_house, actor=actor_of(world, "staff"), now=NOW
        )
    assert failed.value.errors == {"household_id": "所选住户不在该网格内"}
    with pytest.raises(ValidationFailed) as failed:
        visit_service.correct_visit(
            session, visit_id=10_000, draft=draft, actor=actor_of(world, "staff"), now=NOW
        )
    assert failed.value.errors == {"visit_id": "走访记录不存在"}
    session.expire_all()
    assert session.get(Visit, visit.id).people_met == 3
    assert _changes(session, "visit") == []


def test_grid_worker_corrects_only_in_own_cells(session):
    world = make_world(session)
    worker = actor_of(world, "gridworker")
    visit, draft = _visit(session, world)
    other = dataclasses.replace(
        draft, grid_cell_id=world.cells[1].id, household_id=None, building="8栋"
    )
    with pytest.raises(ValidationFailed) as failed:
        visit_service.correct_visit(session, visit_id=visit.id, draft=other, actor=worker, now=NOW)
    assert failed.value.errors == {"grid_cell_id": "只能记录您负责网格内的走访"}
    staff_moved = visit_service.correct_visit(
        session, visit_id=visit.id, draft=other, actor=actor_of(world, "staff"), now=NOW
    )
    assert staff_moved["grid_cell_id"] == world.cells[1].id
    # Now the visit lies outside the worker's cells: refused and recorded in the audit log.
    with pytest.raises(OutOfScope):
        visit_service.correct_visit(session, visit_id=visit.id, draft=draft, actor=worker, now=NOW)
    refused = session.scalars(select(AuditEntry).where(AuditEntry.action == REFUSED)).all()
    assert [(a.username, a.target) for a in refused] == [("gridworker", f"走访 #{visit.id}")]
    with pytest.raises(PermissionDenied):
        visit_service.correct_visit(
            session, visit_id=visit.id, draft=draft, actor=actor_of(world, "viewer"), now=NOW
        )
    assert len(_changes(session, "visit")) == 1


def test_correct_assistance_changes_fields_and_records_before_after(session):
    world = make_world(session)
    record, draft = _assistance(session, world)
    fixed = dataclasses.replace(draft, persons_helped=15, value_yuan=412.5, notes="补记")
    changed = assistance_service.correct_assistance(
        session, record_id=record.id, draft=fixed, actor=actor_of(world, "staff"), now=NOW
    )
    assert changed == {"persons_helped": 15, "value_yuan": Decimal("412.50"), "notes": "补记"}
    session.expire_all()
    stored = session.get(Assistance, record.id)
    assert (stored.persons_helped, Decimal(str(stored.value_yuan))) == (15, Decimal("412.50"))
    assert _changes(session, "assistance") == [
        (
            "staff",
            record.id,
            "update",
            {"persons_helped": 13, "value_yuan": "390.00", "notes": None},
            {"persons_helped": 15, "value_yuan": "412.50", "notes": "补记"},
        )
    ]
    total = session.scalar(select(func.sum(Assistance.persons_helped)))
    assert total == 15


def test_bad_assistance_correction_writes_nothing(session):
    world = make_world(session)
    record, draft = _assistance(session, world)
    bad = dataclasses.replace(draft, persons_helped=None, kind="")
    with pytest.raises(ValidationFailed) as failed:
        assistance_service.correct_assistance(
            session, record_id=record.id, draft=bad, actor=actor_of(world, "staff"), now=NOW
        )
    assert failed.value.errors == {"persons_helped": "请填写受助人数", "kind": "请选择帮扶方式"}
    with pytest.raises(ValidationFailed) as failed:
        assistance_service.correct_assistance(
            session,
            record_id=record.id,
            draft=dataclasses.replace(draft, grid_cell_id=world.cells[1].id),
            actor=actor_of(world, "gridworker"),
            now=NOW,
        )
    assert failed.value.errors == {"grid_cell_id": "只能记录您负责网格内的帮扶"}
    session.expire_all()
    assert session.get(Assistance, record.id).persons_helped == 13
    assert _changes(session, "assistance") == []
