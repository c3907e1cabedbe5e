"""台账导入 as a job (issue 15 item 9) and the bulk import's bookkeeping (item 10), on every backend.

A job runs to the end in a thread without any page, its progress is read from another session,
a job cut off after k chunks is 未完成 and resumes to exactly the rows of an uninterrupted import,
and a claimed job cannot be run twice. The rollups after a bulk import equal a recomputation
(the ``engine`` fixture checks ``db.rollups.drift`` after every test; the non-contiguous path is
checked here directly).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import streamlit as st
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from config import local_now
from db import search_index
from db.engine import make_engine, session_factory
from db.models import (
    Assistance,
    Case,
    CaseGram,
    CaseGramPending,
    CaseNumberCounter,
    ImportJob,
    ImportJobChunk,
    ImportRow,
    Visit,
)
from db.queries.imports import import_batches, import_job, import_jobs, preview_import
from db.rollups import drift, record_new_cases, statements_by_key
from domain.deadlines import ClockRules
from domain.ledger_import import ParsedRow
from domain.roles import Role
from services.import_jobs import (
    RUNNING,
    claim_job,
    create_job,
    decode_rows,
    encode_rows,
    launch_job,
    resume_job,
    run_job,
)
from services.ledger_import import case_values, read_ledger
from tests.factories import NOW, World, make_world, migrate
from tests.helpers.ledger import import_ledger, ledger, ledger_xlsx, staff_actor, stored_state

LATER = NOW + dt.timedelta(minutes=10)
"""Long after the job's last heartbeat: a job still 'running' then has lost its process."""


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session, cells=3)


def _rows(sessions: sessionmaker[Session], world: World) -> list[ParsedRow]:
    with sessions() as s:
        preview = preview_import(
            s,
            ledger=read_ledger(ledger_xlsx(), "台账.xlsx"),
            today=NOW.date(),
            actor=staff_actor(world),
        )
    return preview.new_rows


def _job(sessions, world, *, worker: str | None = "w1", chunk_size: int = 100) -> int:
    return create_job(
        sessions,
        parts=[("台账.xlsx", _rows(sessions, world))],
        actor=staff_actor(world),
        now=NOW,
        chunk_size=chunk_size,
        worker=worker,
    )


def _reference(tmp_path) -> list[tuple[object, ...]]:
    """The stored rows of an uninterrupted, page-free ``run_import`` of the same ledger."""
    engine = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as s:
        ref_world = make_world(s, cells=3)
    import_ledger(sessions, ref_world, ledger_xlsx(), "台账.xlsx")
    state = stored_state(sessions)
    engine.dispose()
    return state


def _count(sessions, model) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_parsed_rows_survive_storage(sessions, world):
    rows = _rows(sessions, world)
    assert any(r.finished_at for r in rows) and any(r.warnings for r in rows)
    assert decode_rows(encode_rows(rows)) == rows


def test_a_job_runs_to_the_end_in_a_thread_without_the_page(sessions, world, tmp_path):
    # as the page starts it: stored, claimed, run from the rows in memory in a thread
    job_id, thread = launch_job(
        sessions,
        parts=[("台账.xlsx", _rows(sessions, world))],
        actor=staff_actor(world),
        now=NOW,
        clock=lambda: NOW,
        chunk_size=100,
    )
    thread.join(timeout=300)
    expected = len(ledger().expected)
    with sessions() as s:
        # another session, another clerk of the same 社区: the job's state as the page shows it
        job = import_job(s, job_id, actor=staff_actor(world, "secretary"), now=NOW)
        assert job is not None
        assert (job.status, job.rows_done, job.imported, job.skipped) == (
            "已完成",
            expected,
            expected,
            0,
        )
        assert s.scalar(select(func.count()).select_from(ImportJobChunk)) == 0
        # the finished job indexed its cases for the ledger search: none left queued
        assert s.scalar(select(func.count()).select_from(CaseGramPending)) == 0
        assert search_index.missing(s.connection()) == []
        assert s.scalar(select(func.count(func.distinct(CaseGram.case_id)))) == expected
    assert stored_state(sessions) == _reference(tmp_path)


def test_an_interrupted_job_is_unfinished_and_resumes_to_the_same_rows(sessions, world, tmp_path):
    job_id = _job(sessions, world, worker="w1", chunk_size=100)
    assert run_job(sessions, job_id, worker="w1", clock=lambda: NOW, max_chunks=2) == RUNNING
    clerk = staff_actor(world)
    total = len(ledger().expected)
    with sessions() as s:
        # right after: still running as far as anyone can tell, progress visible
        (now_row,) = [j for j in import_jobs(s, actor=clerk, now=NOW) if j.id == job_id]
        assert (now_row.status, now_row.rows_done, now_row.rows_total) == ("进行中", 200, total)
        # the process is gone: its heartbeat goes stale, the job is 未完成 and says how far it got
        (late,) = [j for j in import_jobs(s, actor=clerk, now=LATER) if j.id == job_id]
        assert late.status == "未完成" and late.resumable
        (batch,) = import_batches(s, actor=clerk, now=LATER)
        assert batch["导入件数"] == 200
        assert batch["状态"] == f"未完成（已处理 200 / {total} 行）"
    assert _count(sessions, Case) == 200

    thread = resume_job(sessions, job_id, actor=clerk, clock=lambda: LATER)
    assert thread is not None
    thread.join(timeout=300)
    with sessions() as s:
        job = import_job(s, job_id, actor=clerk, now=LATER)
        assert job is not None and (job.status, job.rows_done, job.imported) == (
            "已完成",
            total,
            total,
        )
        prints = s.scalars(select(ImportRow.fingerprint)).all()
        assert not [p for p, n in Counter(prints).items() if n > 1]  # no duplicates
        assert s.scalar(select(func.sum(CaseNumberCounter.last_seq))) == total  # gap-free
        (batch,) = import_batches(s, actor=clerk, now=LATER)
        assert batch["状态"] == "已完成" and batch["导入件数"] == total
    assert stored_state(sessions) == _reference(tmp_path)


def test_a_claimed_job_is_not_run_twice(sessions, world):
    job_id = _job(sessions, world, worker="first")
    # a fresh heartbeat: nobody else may take it
    assert not claim_job(sessions, job_id, worker="second", clock=lambda: NOW)
    assert resume_job(sessions, job_id, actor=staff_actor(world), clock=lambda: NOW) is None
    # stale: another process takes it over; the first one, if it still lived, imports nothing
    assert claim_job(sessions, job_id, worker="second", clock=lambda: LATER)
    assert not claim_job(sessions, job_id, worker="third", clock=lambda: LATER)
    assert run_job(sessions, job_id, worker="first", clock=lambda: LATER) == RUNNING
    assert _count(sessions, Case) == 0
    assert run_job(sessions, job_id, worker="second", clock=lambda: LATER) == "done"
    assert _count(sessions, Case) == len(ledger().expected)


def test_a_job_of_another_community_cannot_be_resumed(sessions, world):
    from domain.errors import OutOfScope
    from domain.roles import Actor

    job_id = _job(sessions, world, worker=None)
    other = Actor(world.users["staff"].id, "x", Role.STAFF, "", None, world.community.id + 999)
    with pytest.raises(OutOfScope):
        resume_job(sessions, job_id, actor=other, clock=lambda: NOW)
    with sessions() as s:
        assert import_jobs(s, actor=other, now=NOW) == []
        assert s.scalar(select(ImportJob.status).where(ImportJob.id == job_id)) == "queued"


def test_rollups_of_cases_inserted_in_bulk_with_gaps_in_their_ids(sessions, world, engine):
    """``record_new_cases`` over ids that are not one run (the IN-list path) adds them exactly."""
    rows = _rows(sessions, world)[:30]
    actor, rules = staff_actor(world), ClockRules()
    cells = {c.id: c.community_id for c in world.cells}
    values = [
        {
            **case_values(r, actor=actor, now=NOW, rules=rules, community_id=cells[r.grid_cell_id]),
            "case_no": f"MQ-2099-{i:06d}",
            "id": 1000 + 3 * i,
        }
        for i, r in enumerate(rows)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Case.__table__), values)
        record_new_cases(conn, [v["id"] for v in values])
        search_index.index_cases(conn, [v["id"] for v in values])
    with engine.connect() as conn:
        assert drift(conn) == {}


# --- the page: progress for whoever opens it, 「继续导入」 for an unfinished import ------------

APP = "apps/ledger_import_page.py"


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        page_world = make_world(session, cells=3)
    monkeypatch.delenv("MINQING_COOKIE_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINQING_DEMO", "1")
    monkeypatch.setenv("MINQING_SEED_DEMO", "0")
    st.cache_resource.clear()
    yield engine, page_world
    st.cache_resource.clear()
    engine.dispose()


def _open(username: str = "staff") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_page_shows_a_running_import_and_resumes_an_unfinished_one(app_db):
    engine, page_world = app_db
    sessions = session_factory(engine)
    total = len(ledger().expected)
    # started by another clerk's page a moment ago, 100 rows done, its process alive
    running = _job(sessions, page_world, worker="alive", chunk_size=100)
    run_job(sessions, running, worker="alive", clock=local_now, max_chunks=1)
    with sessions() as s:  # (created at NOW; its heartbeat is what counts)
        s.execute(update(ImportJob).values(heartbeat_at=local_now()))
        s.commit()
    at = _open()
    assert [p.proto.text for p in at.get("progress")] == [
        f"「台账.xlsx」（{page_world.users['staff'].display_name}）已处理 100 / {total} 行，已导入 100 件"
    ]
    assert not at.warning  # nothing unfinished while its process lives

    # the process died: the heartbeat goes stale; whoever opens the page sees it and resumes it
    with sessions() as s:
        s.execute(update(ImportJob).values(heartbeat_at=local_now() - dt.timedelta(minutes=5)))
        s.commit()
    at = _open()
    assert [w.value for w in at.warning] == [
        f"「台账.xlsx」（{page_world.users['staff'].display_name}，{NOW:%Y-%m-%d %H:%M}）导入未完成："
        f"已处理 100 / {total} 行，已导入 100 件，其余 {total - 100} 行尚未导入。"
    ]
    assert at.dataframe[0].value["状态"].tolist() == [f"未完成（已处理 100 / {total} 行）"]
    at.button(key=f"ledger_import_resume_{running}").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [f"已导入 {total} 件（批次 {_batch(sessions)}）"]
    assert _count(sessions, Case) == total
    at = _open()
    assert not at.warning and not at.get("progress")
    assert at.dataframe[0].value["状态"].tolist() == ["已完成"]


def _batch(sessions) -> str:
    with sessions() as s:
        return str(s.scalar(select(ImportJob.batch)))


@pytest.mark.parametrize("contiguous", [True, False])
def test_sqlite_reads_the_records_it_adds_up_by_rowid(sqlite_engine, contiguous):
    """Adding a chunk to the rollups reads its rows by key, never an index over every case
    (SQLite chose the status index for 「resolved」 and read all resolved cases per chunk)."""
    with sqlite_engine.connect() as conn:
        for model in (Case, Visit, Assistance):
            for stmt in statements_by_key(model, contiguous=contiguous):
                sql = stmt.params(low=1, high=1000, ids=[1, 5, 9]).compile(
                    dialect=sqlite_engine.dialect, compile_kwargs={"literal_binds": True}
                )
                plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
                slow = [p for p in plan if "USING INDEX" in p or p.startswith("SCAN")]
                assert plan and not slow, plan
