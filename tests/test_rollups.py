"""KPI rollups (``db.rollups``): exact after every kind of write, on SQLite, PostgreSQL, MariaDB.

Every test using the ``engine`` fixture is already followed by a drift check (conftest); here
the writes are chosen to hit each rule of the hook: edits of every KPI column, moves between
cells and 社区, deletions, rollbacks, a stale writer, bulk inserts, concurrent writers. Then
the dashboard's figures from the rollups are compared with the same figures from scans.
"""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from db import search_index
from db.models import (
    Assistance,
    Case,
    GridCell,
    KpiDay,
    KpiDayGroup,
    ReceptionConcern,
    ReceptionSession,
    Visit,
)
from db.queries import dashboard as dq
from db.queries.kpis import Scope, kpi_snapshot, overdue_count
from db.rollups import drift, rebuild, record_new_cases
from domain.workflow import CaseStatus, Channel, HandlingType, Level, Satisfaction
from tests.conftest import assert_rollups_exact
from tests.factories import World, case_values, make_case, make_world
from tests.helpers.dashboard_worlds import PERIODS, random_world, scopes

ROOT = Path(__file__).resolve().parents[1]
T = dt.datetime.fromisoformat
NOW = T("2026-11-20 10:00")


def _rollup_rows(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(KpiDay)) or 0,
        session.scalar(select(func.count()).select_from(KpiDayGroup)) or 0,
    )


def _mutate(session: Session, world: World, rng: random.Random, rounds: int = 12) -> None:
    """Random ORM edits of every column a figure depends on, committed or rolled back."""
    cells = session.scalars(select(GridCell)).all()
    for n in range(rounds):
        cases = session.scalars(select(Case).order_by(Case.id)).all()
        for case in rng.sample(cases, 12):
            field = rng.choice(
                ["status", "finish", "follow_up", "move", "category", "deadline", "repeat", "level"]
            )
            if field == "status":
                case.status = rng.choice(list(CaseStatus)).value
            elif field == "finish":
                case.finished_at = case.accepted_at + dt.timedelta(days=rng.randint(0, 9))
                case.handling_working_days = rng.choice([None, rng.randint(0, 8)])
            elif field == "follow_up":
                case.followed_up_at = NOW - dt.timedelta(days=rng.randint(0, 60))
                case.satisfaction = rng.choice(list(Satisfaction)).value
            elif field == "move":
                cell = rng.choice(cells)
                case.grid_cell_id, case.community_id = cell.id, cell.community_id
            elif field == "category":
                case.category_id = rng.choice(world.categories).id
                case.channel = rng.choice(list(Channel)).value
                case.handling_type = rng.choice(list(HandlingType)).value
            elif field == "deadline":
                case.deadline_at = rng.choice(
                    [None, NOW + dt.timedelta(hours=rng.randint(-90, 90))]
                )
            elif field == "repeat":
                case.is_repeat = not case.is_repeat
                case.first_response_at = case.accepted_at + dt.timedelta(hours=rng.randint(1, 50))
            else:
                case.resolved_level = rng.choice([*[lv.value for lv in Level], None])
        for case in rng.sample(cases, 2):
            concern = session.get(ReceptionConcern, case.id)
            if concern is not None:
                session.delete(concern)
            session.delete(case)
        visits = session.scalars(select(Visit)).all()
        for visit in rng.sample(visits, 5):
            visit.people_met = rng.randint(1, 6)
            visit.visited_at = visit.visited_at - dt.timedelta(days=rng.randint(0, 40))
        session.delete(rng.choice(visits))
        for record in rng.sample(session.scalars(select(Assistance)).all(), 3):
            record.persons_helped = rng.randint(1, 30)
            record.grid_cell_id = rng.choice(cells).id
        if n % 4 == 3:
            session.rollback()  # a transaction that fails takes its rollup change with it
        else:
            session.commit()


def _reception_days(session: Session, world: World, rng: random.Random) -> None:
    """接待日 sessions in both 社区 with some of the cases raised there (linked by the ORM)."""
    communities = sorted({c.community_id for c in session.scalars(select(GridCell))})
    sessions = []
    for k, day in enumerate(("2026-03-20", "2026-09-05", "2026-11-03", "2026-11-17")):
        reception = ReceptionSession(
            community_id=communities[k % 2],
            held_at=T(f"{day} 08:30"),
            place="党群服务中心",
            created_at=T(f"{day} 08:00"),
        )
        session.add(reception)
        sessions.append(reception)
    session.flush()
    for case_id in rng.sample(session.scalars(select(Case.id)).all(), 40):
        session.add(ReceptionConcern(case_id=case_id, session_id=rng.choice(sessions).id))
    session.commit()


def _relink(session: Session, rng: random.Random) -> None:
    """Unlink some concerns, move others to another session, link new cases."""
    concerns = session.scalars(select(ReceptionConcern)).all()
    session_ids = session.scalars(select(ReceptionSession.id)).all()
    for concern in rng.sample(concerns, 4):
        session.delete(concern)
    for concern in rng.sample(concerns, 4):
        if concern not in session.deleted:
            concern.session_id = rng.choice(session_ids)
    linked = set(session.scalars(select(ReceptionConcern.case_id)))
    free = [cid for cid in session.scalars(select(Case.id)) if cid not in linked]
    for case_id in rng.sample(free, 5):
        session.add(ReceptionConcern(case_id=case_id, session_id=rng.choice(session_ids)))
    session.commit()


def test_random_edits_keep_rollups_exact_and_equal_to_scans(session, engine):
    world = random_world(session, seed=7, cases=160)
    rng = random.Random(7)
    _reception_days(session, world, rng)
    _mutate(session, world, rng)
    _relink(session, rng)
    now = NOW + dt.timedelta(hours=3, minutes=17)
    # Deadlines earlier today are counted from the cases, later ones are not overdue yet.
    for hours, cell in ((-2, 0), (-9, 1), (1, 1)):
        make_case(
            session,
            world,
            grid_cell_id=world.cells[cell].id,
            deadline_at=now + dt.timedelta(hours=hours),
        )
    assert_rollups_exact(engine)
    months = dq.trend_months(now.date())
    for period_name, period in PERIODS.items():
        for scope_name, scope in scopes(session, world).items():
            label = f"{period_name}/{scope_name}"
            fast = kpi_snapshot(session, period=period, now=now, scope=scope)
            slow = kpi_snapshot(session, period=period, now=now, scope=scope, use_rollups=False)
            assert fast == slow, label
            assert dq.cell_figures(session, period=period, now=now, scope=scope) == dq.cell_figures(
                session, period=period, now=now, scope=scope, use_rollups=False
            ), label
            assert dq.breakdowns(session, period=period, scope=scope) == dq.breakdowns(
                session, period=period, scope=scope, use_rollups=False
            ), label
    for scope_name, scope in scopes(session, world).items():
        assert dq.monthly_trend(session, months=months, scope=scope) == dq.monthly_trend(
            session, months=months, scope=scope, use_rollups=False
        ), scope_name
        assert dq.open_case_count(session, scope=scope) == dq.open_case_count(
            session, scope=scope, use_rollups=False
        ), scope_name
        for period_name, period in PERIODS.items():
            assert dq.reception_figures(
                session, period=period, now=now, scope=scope
            ) == dq.reception_figures(
                session, period=period, now=now, scope=scope, use_rollups=False
            ), f"{period_name}/{scope_name}"


def test_the_random_world_is_not_trivial(session):
    """The comparison above means something: the figures it compares are not all zero."""
    world = random_world(session, seed=7, cases=160)
    rng = random.Random(7)
    _reception_days(session, world, rng)
    _mutate(session, world, rng)
    _relink(session, rng)
    snap = kpi_snapshot(session, period=PERIODS["year"], now=NOW)
    assert snap.accepted > 50 and snap.visits > 50 and snap.assistance_persons > 50
    assert 0 < snap.resolution.numerator < snap.resolution.denominator
    assert snap.on_time.denominator > 10 and snap.satisfaction.denominator > 5
    assert overdue_count(session, now=NOW, scope=Scope()) > 0
    reception = dq.reception_figures(session, period=PERIODS["year"], now=NOW, scope=Scope())
    assert len(reception.sessions) == 4 and 20 < reception.cases < 45
    assert 0 < reception.resolution.numerator < reception.resolution.denominator


def test_a_cell_moved_to_another_community_takes_its_visits_and_assistance_along(session, engine):
    world = random_world(session, seed=3, cases=40)
    other = session.scalar(select(GridCell).where(GridCell.community_id != world.community.id))
    cell = world.cells[0]
    visits_before = kpi_snapshot(
        session, period=PERIODS["year"], now=NOW, scope=Scope(community_id=other.community_id)
    ).visits
    moved = session.scalar(
        select(func.count())
        .select_from(Visit)
        .where(Visit.grid_cell_id == cell.id, Visit.visited_at >= PERIODS["year"].start)
    )
    assert moved > 0
    cell.community_id = other.community_id
    session.commit()
    assert_rollups_exact(engine)
    after = kpi_snapshot(
        session, period=PERIODS["year"], now=NOW, scope=Scope(community_id=other.community_id)
    )
    assert after.visits == visits_before + moved


def test_rolled_back_flush_leaves_the_rollups_as_they_were(session, engine):
    world = make_world(session)
    make_case(session, world, accepted_at=NOW - dt.timedelta(days=2))
    before = _rollup_rows(session)
    make = Case(
        **case_values(
            world,
            case_no="MQ-X-1",
            grid_cell_id=world.cells[1].id,
            accepted_at=NOW - dt.timedelta(days=40),
        )
    )
    session.add(make)
    session.flush()  # the hook has added the new case's rows inside this transaction
    assert _rollup_rows(session) != before
    session.rollback()
    assert _rollup_rows(session) == before
    assert_rollups_exact(engine)


def test_a_stale_writer_adds_nothing(sessions: sessionmaker[Session], engine):
    with sessions() as s:
        world = make_world(s)
        case_id = make_case(s, world).id
    first, second = sessions(), sessions()
    try:
        a, b = first.get(Case, case_id), second.get(Case, case_id)
        a.status, a.finished_at = CaseStatus.RESOLVED.value, NOW
        first.commit()
        b.status = CaseStatus.RETURNED.value
        with pytest.raises(StaleDataError):
            second.commit()
        second.rollback()
    finally:
        first.close()
        second.close()
    assert_rollups_exact(engine)
    with sessions() as s:
        open_now = dq.open_case_count(s, scope=Scope())
        assert open_now == 0  # the only case is resolved: the stale 退回 did not count


def test_bulk_inserted_cases_are_added_by_record_new_cases(session, engine):
    world = make_world(session)
    base = case_values(world, deadline_at=NOW - dt.timedelta(days=1))
    rows = [
        {**base, "case_no": f"MQ-B-{i:03d}", "accepted_at": NOW - dt.timedelta(days=i, hours=2)}
        for i in range(1, 30)
    ]
    with engine.begin() as conn:
        conn.execute(Case.__table__.insert(), rows)
        ids = conn.scalars(select(Case.id).order_by(Case.id)).all()
        record_new_cases(conn, ids)
        search_index.queue_cases(conn, ids)  # as every bulk writer does
    assert_rollups_exact(engine)
    assert overdue_count(session, now=NOW, scope=Scope()) == 29


@pytest.mark.rollups_may_drift
def test_drift_sees_a_change_behind_the_orm_and_rebuild_repairs_it(session, engine):
    world = make_world(session)
    for i in range(5):
        make_case(session, world, accepted_at=NOW - dt.timedelta(days=i))
    assert_rollups_exact(engine)
    with engine.begin() as conn:
        conn.execute(update(Case).values(status=CaseStatus.RESOLVED.value, finished_at=NOW))
    with engine.connect() as conn:
        found = drift(conn)
    # Resolved on five acceptance days and by level; no longer open under their deadline day.
    assert len(found["kpi_days"]) == 5 and found["kpi_day_groups"] and found["kpi_open_days"]
    with engine.begin() as conn:
        rebuild(conn)
    assert_rollups_exact(engine)
    assert dq.open_case_count(session, scope=Scope()) == 0


@pytest.mark.rollups_may_drift
def test_check_rollups_command(tmp_path, sqlite_engine):
    from db.engine import session_factory

    with session_factory(sqlite_engine)() as s:
        world = make_world(s)
        make_case(s, world)
    url = str(sqlite_engine.url)

    def check(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "db.check_rollups", "--url", url, *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = check()
    assert ok.returncode == 0 and "一致" in ok.stdout
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE kpi_days SET accepted = accepted + 1"))
    bad = check()
    assert bad.returncode == 1 and "不一致" in bad.stdout and "--rebuild" in bad.stdout
    assert check("--rebuild").returncode == 0
    assert check().returncode == 0


def test_concurrent_writers_on_the_same_day_and_cell(engine: Engine):
    """Writers adding to the same rollup rows at once neither lose a count nor deadlock."""
    from db.engine import session_factory

    sessions = session_factory(engine)
    with sessions() as s:
        world = make_world(s)
        ids = [make_case(s, world, case_no=f"MQ-C-{i:03d}").id for i in range(24)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker(k: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i, case_id in enumerate(ids[k::4]):
                with sessions() as s:
                    case = s.get(Case, case_id)
                    case.status = CaseStatus.RESOLVED.value
                    case.finished_at = NOW
                    s.add(Case(**case_values(world, case_no=f"MQ-N-{k}-{i}", accepted_at=NOW)))
                    s.commit()
        except BaseException as exc:  # reported below with the others
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert_rollups_exact(engine)
    with sessions() as s:
        assert dq.open_case_count(s, scope=Scope()) == 24  # 24 resolved, 24 new ones open
