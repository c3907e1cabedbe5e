"""逾期件数 as it stood at the end of a past month (issue 16 item 9, DOMAIN.md §6).

The SQL (``db.queries.kpis.overdue_count_as_of``) equals the reference
(``domain.kpis.overdue_count_as_of``) on cases finished after the end, paused before or after
it, returned before or after it and accepted after it; the October 月报 of the 社区 and of the
街道, made on 20 November, report October's figure (7), not today's (6).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from db.models import CaseEvent
from db.queries.comparison import subdistrict_report
from db.queries.kpis import case_facts, overdue_count, overdue_count_as_of
from db.queries.reports import monthly_report
from db.queries.scope import Scope
from domain import kpis
from domain.workflow import Action
from tests.factories import NOW, World, make_case, make_world
from tests.helpers.cases import actor_of

T = dt.datetime.fromisoformat
END = T("2026-11-01 00:00")
"""The end of October, the reported month; today is ``NOW`` (20 November)."""
OCTOBER_OVERDUE = {"A", "C", "F", "H", "J", "L", "M"}
TODAY_OVERDUE = {"C", "D", "E", "F", "K", "M"}


def _event(session: Session, case_id: int, action: Action, at: str) -> None:
    session.add(CaseEvent(case_id=case_id, at=T(at), action=action.value))


def _world(session: Session) -> World:
    """The cases named in OCTOBER_OVERDUE / TODAY_OVERDUE (deadline 10 October unless told)."""
    world = make_world(session)
    second = world.cells[1].id

    def case(label: str, **over: object) -> int:
        values: dict[str, object] = {
            "status": "in_progress",
            "accepted_at": T("2026-10-05 09:00"),
            "deadline_at": T("2026-10-10 17:00"),
            "description": f"案件{label}",
            **over,
        }
        return make_case(session, world, **values).id

    done = {"status": "resolved", "handling_working_days": 5, "resolved_level": "community"}
    case("A", finished_at=T("2026-11-05 10:00"), **done)  # finished after the end
    case("B", finished_at=T("2026-10-20 10:00"), **done)  # finished before it
    case("C")  # still open
    case("D", accepted_at=T("2026-11-03 09:00"), deadline_at=T("2026-11-05 17:00"))
    e = case("E", deadline_at=T("2026-10-25 17:00"))  # waiting for materials over the end
    _event(session, e, Action.REQUEST_MATERIALS, "2026-10-08 10:00")
    _event(session, e, Action.MATERIALS_RECEIVED, "2026-11-04 10:00")
    f = case("F", accepted_at=T("2026-10-02 09:00"), deadline_at=T("2026-10-15 17:00"))
    _event(session, f, Action.REQUEST_MATERIALS, "2026-10-05 10:00")
    _event(session, f, Action.MATERIALS_RECEIVED, "2026-10-08 10:00")
    # G: waiting since 20 October (no timeline: a paused_at only); H: waiting since 5 November.
    paused = {"status": "awaiting_materials", "deadline_at": T("2026-10-15 17:00")}
    case("G", paused_at=T("2026-10-20 10:00"), **paused)
    h = case("H", paused_at=T("2026-11-05 10:00"), grid_cell_id=second, **paused)
    _event(session, h, Action.REQUEST_MATERIALS, "2026-11-05 10:00")
    returned = {"status": "returned", "handling_type": "return"}
    case("I", updated_at=T("2026-10-12 10:00"), **returned)  # returned before the end
    case("J", updated_at=T("2026-11-06 10:00"), grid_cell_id=second, **returned)
    case("K", deadline_at=T("2026-11-03 17:00"))  # due after the end
    case("L", finished_at=END, **done)  # finished at the very moment the month ended
    case("M", status="escalated", escalated_to="街道")
    session.commit()
    return world


MOMENTS = ["2026-10-01 00:00", "2026-10-10 17:00", "2026-10-20 12:00", "2026-11-01 00:00",
           "2026-11-04 12:00", "2026-11-06 10:00", "2026-11-20 10:00"]  # fmt: skip


@pytest.mark.parametrize("moment", MOMENTS)
def test_sql_equals_the_reference(session: Session, moment: str) -> None:
    world = _world(session)
    for scope in (Scope(), Scope(grid_cell_id=world.cells[1].id)):
        facts = case_facts(session, scope)
        expected = kpis.overdue_count_as_of(facts, T(moment))
        found = overdue_count_as_of(session, moment=T(moment), now=NOW, scope=scope)
        assert found == expected, (moment, scope)


def test_october_end_and_today_by_hand(session: Session) -> None:
    world = _world(session)
    facts = case_facts(session)
    assert kpis.overdue_count_as_of(facts, END) == len(OCTOBER_OVERDUE) == 7
    assert overdue_count_as_of(session, moment=END, now=NOW, scope=Scope()) == 7
    assert overdue_count(session, now=NOW, scope=Scope()) == len(TODAY_OVERDUE) == 6
    # At or after now it is today's count.
    assert overdue_count_as_of(session, moment=NOW, now=NOW, scope=Scope()) == 6
    second = Scope(grid_cell_id=world.cells[1].id)
    assert overdue_count_as_of(session, moment=END, now=NOW, scope=second) == 2  # H, J


def test_reports_of_a_past_month_count_overdue_at_its_end(session: Session) -> None:
    world = _world(session)
    october = dt.date(2026, 10, 1)
    report = monthly_report(
        session,
        community_id=world.community.id,
        month=october,
        now=NOW,
        actor=actor_of(world, "secretary"),
    )
    assert report is not None
    assert [line.kpis.overdue for line in report.lines] == [5, 2, 7]
    街道 = subdistrict_report(session, month=october, now=NOW)
    assert [line.kpis.overdue for line in 街道.lines] == [7, 7]
    # The current month's report still shows today's count.
    november = monthly_report(
        session,
        community_id=world.community.id,
        month=NOW.date(),
        now=NOW,
        actor=actor_of(world, "secretary"),
    )
    assert november is not None
    assert november.lines[-1].kpis.overdue == 6
