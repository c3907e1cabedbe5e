"""Old open rows of a ledger: unassigned unless the clerk picks someone, and the preview's
「导入后将立即计为逾期」 count is what 逾期件数 becomes; on every backend.

Before: every imported open row landed in the importing clerk's 我的待办 (22 → 165 in办).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Case
from db.queries.kpis import overdue_count
from db.queries.scope import Scope
from db.queries.todo import todo_counts
from domain.deadlines import ClockRules
from domain.workflow import is_open
from services.ledger_import import overdue_at_once
from tests.factories import NOW, World, make_case, make_world
from tests.helpers.ledger import import_ledger, ledger_xlsx, staff_actor


@pytest.fixture
def world(session: Session) -> World:
    """Three cells and the clerk's own queue: two open cases, one of them overdue."""
    world = make_world(session, cells=3)
    make_case(session, world, deadline_at=NOW - dt.timedelta(days=2))
    make_case(session, world, deadline_at=NOW + dt.timedelta(days=2))
    return world


def _queue(sessions: sessionmaker[Session], world: World, role: str) -> tuple[int, int]:
    """在办 and 逾期 of one user's 我的待办."""
    with sessions() as s:
        counts = todo_counts(s, actor=staff_actor(world, role), now=NOW, rules=ClockRules())
    return counts.mine, counts.overdue


def _unassigned_open(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return sum(
            is_open(status)
            for status in s.scalars(select(Case.status).where(Case.assignee_id.is_(None)))
        )


def test_open_rows_are_unassigned_by_default_and_the_clerks_queue_is_unchanged(sessions, world):
    assert _queue(sessions, world, "staff") == (2, 1)
    preview, outcome = import_ledger(sessions, world, ledger_xlsx(), "台账.xlsx")
    still_open = sum(is_open(r.status) for r in preview.new_rows)
    late = overdue_at_once(preview.new_rows, now=NOW)
    assert still_open > 10 and 0 < late <= still_open
    assert _queue(sessions, world, "staff") == (2, 1)  # the old ledger is not the clerk's work
    assert _unassigned_open(sessions) == still_open
    with sessions() as s:
        # the preview's warning is what the 逾期件数 tile then shows
        assert overdue_count(s, now=NOW, scope=Scope()) == 1 + late
        assert overdue_count(s, now=NOW, scope=Scope(), use_rollups=False) == 1 + late
        imported = s.scalar(select(func.count()).select_from(Case)) or 0
    assert imported == 2 + outcome.imported


def test_open_rows_go_to_the_person_the_clerk_chose(sessions, world):
    secretary = world.users["secretary"].id
    before = _queue(sessions, world, "secretary")
    preview, _ = import_ledger(
        sessions, world, ledger_xlsx(), "台账.xlsx", open_assignee_id=secretary
    )
    still_open = sum(is_open(r.status) for r in preview.new_rows)
    late = overdue_at_once(preview.new_rows, now=NOW)
    assert _queue(sessions, world, "secretary") == (before[0] + still_open, before[1] + late)
    assert _queue(sessions, world, "staff") == (2, 1)
    assert _unassigned_open(sessions) == 0
