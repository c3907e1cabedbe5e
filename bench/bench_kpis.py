"""KPI speed at 1,000,000 cases: the app's KPI queries against a plain GROUP BY and pandas.

Builds (or reuses) a database under ``bench/out/`` with the demo generator (no events), then
measures, for this month and for the last twelve months:

(a) the app's ``db.queries.kpis.kpi_snapshot`` and ``headline_kpis``;
(b) the baseline: ``SELECT status, COUNT(*) … GROUP BY status`` over the same cases;
(c) loading the period's cases into pandas and computing the same accepted-side KPIs there.

Each figure is the median of ``--reps`` runs after one warm-up, printed in ms and as a ratio to
the baseline measured in the same run.

    python -m bench.bench_kpis                                   # SQLite, 1M cases
    python -m bench.bench_kpis --url postgresql://postgres@127.0.0.1:5432/test   # own schema
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from config import local_now
from db.demo import generate
from db.engine import make_engine, session_factory
from db.migrate import upgrade_to_head
from db.models import Base, Case, Community
from domain.kpis import Period
from domain.workflow import (
    CLOSED_WITHOUT_RESULT,
    FINISHED_STATUSES,
    HandlingType,
    Level,
)

OUT = Path(__file__).resolve().parent / "out"
PG_SCHEMA = "bench_minqing"
CASE_COLUMNS = (
    "accepted_at",
    "status",
    "handling_type",
    "response_due_at",
    "first_response_at",
    "resolved_level",
    "is_repeat",
)


def default_url(cases: int) -> str:
    """The cached SQLite file for ``cases`` (``cases-1m.db`` for a million)."""
    name = "cases-1m.db" if cases == 1_000_000 else f"cases-{cases}.db"
    return f"sqlite:///{OUT / name}"


def _engine_for(url: str) -> Engine:
    """An engine; a PostgreSQL URL gets a schema of its own so nobody else's tables are touched."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return make_engine(url)
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{PG_SCHEMA}"'))
    admin.dispose()
    scoped = make_url(admin.url).update_query_dict({"options": f"-csearch_path={PG_SCHEMA}"})
    return make_engine(scoped.render_as_string(hide_password=False))


def _case_count(engine: Engine) -> int:
    try:
        with engine.connect() as conn:
            if conn.execute(select(Community.id).limit(1)).first() is None:
                return 0
            return int(conn.execute(select(func.count()).select_from(Case)).scalar_one())
    except (OperationalError, ProgrammingError):
        return 0  # no tables yet (SQLite says OperationalError, PostgreSQL ProgrammingError)


def _someone_is_writing(engine: Engine) -> bool:
    """SQLite: another process holds the write lock (e.g. a bench building the same file)."""
    if engine.dialect.name != "sqlite":
        return False
    raw = engine.raw_connection()
    try:
        raw.execute("PRAGMA busy_timeout=0")
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("ROLLBACK")
        return False
    except Exception:
        return True
    finally:
        raw.close()


def prepare(url: str, cases: int) -> Engine:
    """The benchmark database with ``cases`` cases: reused when it is already there."""
    engine = _engine_for(url)
    waited = False
    while _someone_is_writing(engine):
        if not waited:
            print("另一个进程正在生成同一数据库，等待其完成…", flush=True)
            waited = True
        time.sleep(10)
    found = _case_count(engine)
    if found == cases:
        print(f"复用已有数据库（{found:,} 件）：{url}")
        upgrade_to_head(engine)  # a file built by an older version gets the newer indexes
        return engine
    print(f"生成 {cases:,} 件案件的压测数据库：{url}", flush=True)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade_to_head(engine)
    report = generate(engine, cases=cases, today=local_now().date(), with_events=False)
    print(report.summary(), flush=True)
    if engine.dialect.name == "postgresql":
        # What autovacuum does on a live server: statistics and the visibility map (index-only
        # scans), so that the figures are those of a database in use, not of a fresh bulk load.
        print("VACUUM ANALYZE …", flush=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return engine


def _median_ms(fn: Callable[[], Any], reps: int) -> tuple[float, Any]:
    result = fn()  # warm-up (and the value, for the cross-check)
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def _pandas_kpis(engine: Engine, period: Period) -> dict[str, float]:
    """Load the period's cases into a DataFrame and compute the accepted-side KPIs there."""
    columns = ", ".join(CASE_COLUMNS)
    frame = pd.read_sql_query(
        text(f"SELECT {columns} FROM cases WHERE accepted_at >= :start AND accepted_at < :end"),
        engine,
        params={"start": period.start, "end": period.end},
        parse_dates=["response_due_at", "first_response_at"],
    )
    excluded = {str(s) for s in CLOSED_WITHOUT_RESULT}
    base = frame[(frame.handling_type != HandlingType.RETURN.value) & ~frame.status.isin(excluded)]
    finished = {str(s) for s in FINISHED_STATUSES}
    resolved_all = frame.status.isin(finished)
    return {
        "accepted": len(frame),
        "resolution": float(base.status.isin(finished).mean()) if len(base) else 0.0,
        "response": float((frame.first_response_at <= frame.response_due_at).mean()),
        "repeat": float(frame.is_repeat.astype(bool).mean()),
        "community": float(
            (frame.resolved_level[resolved_all] == Level.COMMUNITY.value).mean()
            if resolved_all.any()
            else 0.0
        ),
    }


def run(engine: Engine, reps: int) -> list[tuple[str, str, float, float]]:
    """Measure every figure; rows of (what, period, ms, ratio to the baseline)."""
    with engine.connect() as conn:
        last = conn.execute(select(func.max(Case.accepted_at))).scalar_one()
        community = conn.execute(select(func.min(Community.id))).scalar_one()
    today = last.date()
    now = dt.datetime.combine(today, dt.time(18, 0))
    year, month = divmod(today.year * 12 + today.month - 1 - 11, 12)
    year_start = dt.datetime(year, month + 1, 1)
    periods = {
        "本月": Period.month_of(today),
        "近12个月": Period(
            year_start, dt.datetime.combine(today, dt.time()) + dt.timedelta(days=1)
        ),
    }
    rows: list[tuple[str, str, float, float]] = []
    for label, period in periods.items():
        rows += _measure_period(engine, label, period, now, community, reps)
    return rows


def _measure_period(
    engine: Engine, label: str, period: Period, now: dt.datetime, community: int, reps: int
) -> list[tuple[str, str, float, float]]:
    """The five figures of one period."""
    from db.queries.kpis import headline_kpis, kpi_snapshot
    from db.queries.scope import Scope

    sessions = session_factory(engine)
    baseline_sql = text(
        "SELECT status, COUNT(*) FROM cases "
        "WHERE accepted_at >= :start AND accepted_at < :end GROUP BY status"
    )
    params = {"start": period.start, "end": period.end}

    def baseline() -> Any:
        with engine.connect() as conn:
            return conn.execute(baseline_sql, params).all()

    def snapshot(scope: Scope | None = None) -> Any:
        with sessions() as session:
            return kpi_snapshot(session, period=period, now=now, scope=scope or Scope())

    def headline() -> Any:
        with sessions() as session:
            return headline_kpis(session, period=period)

    base_ms, counts = _median_ms(baseline, reps)
    snap_ms, snap = _median_ms(snapshot, reps)
    comm_ms, _ = _median_ms(lambda: snapshot(Scope(community_id=community)), reps)
    head_ms, _ = _median_ms(headline, reps)
    pandas_ms, frame_kpis = _median_ms(lambda: _pandas_kpis(engine, period), max(reps // 2, 1))

    # The three ways must agree on what they count.
    status_total = sum(n for _, n in counts)
    assert status_total == snap.accepted == frame_kpis["accepted"], (status_total, snap.accepted)
    assert abs((snap.resolution.rate or 0) - frame_kpis["resolution"]) < 1e-9
    n = f"{snap.accepted:,} 件"
    return [
        (f"(b) 基线 GROUP BY status（{n}）", label, base_ms, 1.0),
        ("(a) kpi_snapshot 全街道（6 条聚合）", label, snap_ms, snap_ms / base_ms),
        ("(a) kpi_snapshot 单个社区", label, comm_ms, comm_ms / base_ms),
        ("(a) headline_kpis（首页三项）", label, head_ms, head_ms / base_ms),
        ("(c) pandas：读入本期案件再计算", label, pandas_ms, pandas_ms / base_ms),
    ]


def print_table(rows: list[tuple[str, str, float, float]], title: str) -> None:
    """A Markdown table, ready for the README."""
    print(f"\n{title}\n")
    print("| 查询 | 期间 | 中位数 ms | 相对基线 |")
    print("|---|---|---:|---:|")
    for what, period, ms, ratio in rows:
        print(f"| {what} | {period} | {ms:,.1f} | {ratio:.2f}× |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_kpis", description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--url", default=None, help="默认 bench/out/ 下的 SQLite 文件")
    parser.add_argument("--reps", type=int, default=7, help="每项重复次数（取中位数）")
    args = parser.parse_args(argv)
    url = args.url or default_url(args.cases)
    engine = prepare(url, args.cases)
    rows = run(engine, args.reps)
    safe = make_url(engine.url).render_as_string(hide_password=True)
    print_table(
        rows,
        f"KPI 查询耗时：{args.cases:,} 件案件，{engine.dialect.name}（{safe}），每项 {args.reps} 次取中位数",
    )
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
