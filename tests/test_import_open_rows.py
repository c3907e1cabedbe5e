"""Old open rows of a ledger: unassigned unless the clerk picks someone, archived as 历史未结
when the clerk chooses so, and the preview's 「导入后将立即计为逾期」 count is what 逾期件数
becomes; on every backend.

Before: every imported open row landed in the importing clerk's 我的待办 (22 → 165 in办).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Case, CaseEvent
from db.queries.kpis import kpi_snapshot, overdue_count
from db.queries.scope import Scope
from db.queries.todo import todo_counts
from domain.deadlines import ClockRules
from domain.kpis import Period, Ratio
from domain.workflow import (
    CLOSED_WITHOUT_RESULT,
    FINISHED_STATUSES,
    Action,
    CaseStatus,
    HandlingType,
    is_open,
)
from services.ledger_import import OpenRows, overdue_at_once
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
        sessions, world, ledger_xlsx(), "台账.xlsx", open_rows=OpenRows(assignee_id=secretary)
    )
    still_open = sum(is_open(r.status) for r in preview.new_rows)
    late = overdue_at_once(preview.new_rows, now=NOW)
    assert _queue(sessions, world, "secretary") == (before[0] + still_open, before[1] + late)
    assert _queue(sessions, world, "staff") == (2, 1)
    assert _unassigned_open(sessions) == 0


def _resolution_by_hand(rows) -> Ratio:  # type: ignore[no-untyped-def]
    """解决率 of the imported rows plus the clerk's two open cases, worked out from the rows."""
    counted = [
        r
        for r in rows
        if r.status not in CLOSED_WITHOUT_RESULT and r.handling_type is not HandlingType.RETURN
    ]
    return Ratio(sum(r.status in FINISHED_STATUSES for r in counted), len(counted) + 2)


@pytest.mark.parametrize("archive", [False, True], ids=["kept_open", "archived"])
def test_overdue_open_rows_archived_as_historical_or_kept_open(sessions, world, archive):
    preview, outcome = import_ledger(
        sessions, world, ledger_xlsx(), "台账.xlsx", open_rows=OpenRows(archive_overdue=archive)
    )
    rows = preview.new_rows
    still_open = sum(is_open(r.status) for r in rows)
    late = overdue_at_once(rows, now=NOW)
    assert still_open >= late > 10
    everything = Period(dt.datetime(2000, 1, 1), NOW + dt.timedelta(days=1))
    with sessions() as s:
        historical = s.scalar(
            select(func.count()).where(Case.status == CaseStatus.HISTORICAL_OPEN.value)
        )
        archive_events = s.execute(
            select(CaseEvent.from_status, CaseEvent.to_status).where(
                CaseEvent.action == Action.ARCHIVE_HISTORICAL.value
            )
        ).all()
        snap = kpi_snapshot(s, period=everything, now=NOW)
        scan = kpi_snapshot(s, period=everything, now=NOW, use_rollups=False)
    assert historical == (late if archive else 0)
    assert len(archive_events) == historical  # the import event, then the state machine's archive
    assert all(to == CaseStatus.HISTORICAL_OPEN.value and is_open(fr) for fr, to in archive_events)
    # 历史未结 are not overdue and nobody's 在办; the clerk's queue is as before either way
    assert snap.overdue == scan.overdue == 1 + (0 if archive else late)
    assert _queue(sessions, world, "staff") == (2, 1)
    assert _unassigned_open(sessions) == still_open - historical
    # ... and not resolved: 受理件数 and 解决率 are the same both ways (DOMAIN.md §6)
    assert snap.accepted == scan.accepted == outcome.imported + 2
    assert snap.resolution == scan.resolution == _resolution_by_hand(rows)
