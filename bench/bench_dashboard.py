"""书记看板 at 1,000,000 cases: the page's full rerun beside its rendering floor and a plain GROUP BY.

All measured in one run, on the same database (built once with the demo generator, or reused):

(1) full rerun: ``pages.dashboard.render`` under AppTest, logged in as the secretary — guard,
    user look-up, cache revalidation, every tile, chart, table and the grid map;
(2) rendering floor: the same page (``pages.dashboard.draw``) drawing the same tiles, charts
    and map from figures already in memory, with no database at all;
(3) baseline: a plain ``GROUP BY`` over the raw cases (this month's cases per cell and status,
    and the twelve months' per month and status);
(4) the rerun right after a real write (a case accepted through ``accept_case``, whose
    transaction also updates the KPI rollups of ``db.rollups``): the cache is invalid, every
    aggregate is recomputed from the rollups; beside it the write itself, the aggregates alone
    without the cache, and (once) the same aggregates scanning the cases instead of the rollups.

Each figure is the median of ``--reps`` runs after a warm-up; the ratios are to the rendering
floor and to the baseline of the same run. Memory is the process's peak resident size
(``ru_maxrss``), which includes AppTest and the SQLite page cache.

    python -m bench.bench_dashboard                # SQLite file bench/out/cases-1m.db
    python -m bench.bench_dashboard --url postgresql://postgres@127.0.0.1:5432/test --cases 10000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import resource
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.bench_cases import RULES, bench_cases_cleanup
from bench.bench_cases import context as bench_context
from bench.bench_cases import draft as bench_draft
from bench.bench_kpis import default_url, prepare
from config import local_now
from db.dashboard_cache import cache_stats, clear_dashboard_cache
from db.engine import make_engine, session_factory
from db.queries import dashboard as dq
from db.queries.kpis import kpi_snapshot
from db.queries.scope import Scope
from domain.kpis import Period
from services.cases import accept_case


@dataclass
class MemorySource:
    """Dashboard figures held in memory: the rendering floor's source (no database)."""

    scope_choices: dq.ScopeChoices
    live_view: dq.LiveView
    analysis_view: dq.AnalysisView
    panels: dict[int, dq.CellPanel | None]

    def choices(self) -> dq.ScopeChoices:
        return self.scope_choices

    def live(self, period: Period, scope: Scope, now: dt.datetime) -> dq.LiveView:
        return self.live_view

    def analysis(self, period: Period, scope: Scope, now: dt.datetime) -> dq.AnalysisView:
        return self.analysis_view

    def panel(self, cell_id: int, period: Period, now: dt.datetime) -> dq.CellPanel | None:
        return self.panels.get(cell_id)


FLOOR: dict[str, Any] = {}
"""What the floor script draws (set before AppTest runs it, in this same process)."""


def _full_page() -> None:
    from pages.dashboard import render

    render()


def _floor_page() -> None:
    from bench.bench_dashboard import FLOOR
    from pages.dashboard import draw

    draw(FLOOR["source"], FLOOR["settings"], FLOOR["now"])


def _median_ms(fn: Callable[[], Any], reps: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _once_ms(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _app_test(script: Callable[[], None], *, logged_in: bool) -> Any:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(script, default_timeout=600)
    if logged_in:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = "secretary"
    return at


def _check(at: Any) -> None:
    if at.exception:
        raise RuntimeError(at.exception[0].value)


def _scanned_aggregates(session: Any, period: Period, now: dt.datetime) -> None:
    """The case aggregates of both views computed by scanning ``cases`` (no rollups)."""
    scope = Scope()
    for p in (period, period.previous_same_length()):
        kpi_snapshot(session, period=p, now=now, scope=scope, use_rollups=False)
    dq.cell_figures(session, period=period, now=now, scope=scope, use_rollups=False)
    dq.open_case_count(session, scope=scope, use_rollups=False)
    last_day = (period.end - dt.timedelta(seconds=1)).date()
    months = dq.trend_months(min(last_day, now.date()), 12)
    dq.monthly_trend(session, months=months, scope=scope, use_rollups=False)
    dq.breakdowns(session, period=period, scope=scope, use_rollups=False)


def measure(engine: Engine, url: str, reps: int) -> list[tuple[str, float, str]]:
    """Every figure of the comparison as (what, ms, note)."""
    import streamlit as st

    os.environ.update({"DATABASE_URL": url, "MINQING_DEMO": "1", "MINQING_SEED_DEMO": "0"})
    st.cache_resource.clear()
    clear_dashboard_cache()
    now = local_now()
    period = Period.month_of(now.date())
    sessions = session_factory(engine)

    # (1) the full page; its first run migrates/opens the engine and fills the cache.
    full = _app_test(_full_page, logged_in=True)
    first_ms = _once_ms(lambda: _check(full.run()))
    tiles = {m.label: m.value for m in full.metric}
    _check(full.run())

    # (2) the same page from memory: the figures the page just drew, no database.
    from ui.context import get_settings

    settings = get_settings()
    with sessions() as session:
        live = dq.live_view(session, period=period, now=now, scope=Scope())
        source = MemorySource(
            dq.scope_choices(session),
            live,
            dq.analysis_view(session, period=period, now=now, scope=Scope()),
            {},
        )
    # Under ``python -m`` this file is ``__main__``; the floor script imports the package copy.
    importlib.import_module("bench.bench_dashboard").FLOOR.update(
        source=source, settings=settings, now=now
    )
    floor = _app_test(_floor_page, logged_in=False)
    _check(floor.run())
    floor_tiles = {m.label: m.value for m in floor.metric}
    assert floor_tiles.keys() == tiles.keys(), (floor_tiles, tiles)  # the very same tiles
    _check(floor.run())

    # (1) and (2) interleaved, so that both see the same load on the machine.
    before = cache_stats()
    full_times, floor_times = [], []
    for _ in range(reps):
        full_times.append(_once_ms(lambda: _check(full.run())))
        floor_times.append(_once_ms(lambda: _check(floor.run())))
    after = cache_stats()
    hits, misses = after["hits"] - before["hits"], after["misses"] - before["misses"]
    full_ms, floor_ms = statistics.median(full_times), statistics.median(floor_times)

    # (3) plain GROUP BYs over the raw cases.
    month_sql = text(
        "SELECT grid_cell_id, status, COUNT(*) FROM cases "
        "WHERE accepted_at >= :start AND accepted_at < :end GROUP BY grid_cell_id, status"
    )
    months = dq.trend_months(now.date(), 12)
    year_sql = text(
        "SELECT substr(CAST(accepted_at AS TEXT), 1, 7) AS m, status, COUNT(*) FROM cases "
        "WHERE accepted_at >= :start AND accepted_at < :end GROUP BY m, status"
    )

    def grouped(sql: Any, start: dt.datetime, end: dt.datetime) -> Callable[[], Any]:
        def run() -> Any:
            with engine.connect() as conn:
                return conn.execute(sql, {"start": start, "end": end}).all()

        return run

    base_month_ms = _median_ms(grouped(month_sql, period.start, period.end), reps)
    base_year_ms = _median_ms(grouped(year_sql, months[0].start, months[-1].end), reps)

    # (4) a real write, then the rerun (the cache is invalid: everything from the rollups).
    write_times, rerun_times = [], []
    with bench_cases_cleanup(engine):
        with sessions() as session:
            ctx = bench_context(session)
        for n in range(reps):
            with sessions() as session:

                def write(session: Session = session, n: int = n) -> None:
                    draft = bench_draft(ctx, 50_000 + n)
                    accept_case(session, draft=draft, actor=ctx.actor, now=ctx.now, rules=RULES)

                write_times.append(_once_ms(write))
            rerun_times.append(_once_ms(lambda: _check(full.run())))
    write_ms, rerun_ms = statistics.median(write_times), statistics.median(rerun_times)

    def uncached(use_rollups: bool) -> Callable[[], None]:
        def run() -> None:
            clear_dashboard_cache()
            with sessions() as session:
                if use_rollups:
                    dq.live_view(session, period=period, now=now, scope=Scope())
                    dq.analysis_view(session, period=period, now=now, scope=Scope())
                else:
                    _scanned_aggregates(session, period, now)

        return run

    sql_ms = statistics.median(_once_ms(uncached(True)) for _ in range(reps))
    scan_ms = _once_ms(uncached(False))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    return [
        ("(2) 渲染下限：同一页面，图表/地图数据已在内存，无数据库", floor_ms, "1.00× 下限"),
        (
            "(1) 看板完整重跑（AppTest，书记登录，数据未变）",
            full_ms,
            f"{full_ms / floor_ms:.2f}× 下限；缓存命中 {hits}、未命中 {misses}",
        ),
        (
            "(3) 基线：本月 GROUP BY grid_cell_id, status",
            base_month_ms,
            f"看板重跑为其 {full_ms / base_month_ms:.2f}×",
        ),
        (
            "(3) 基线：近 12 个月 GROUP BY 月, status",
            base_year_ms,
            f"看板重跑为其 {full_ms / base_year_ms:.2f}×",
        ),
        (
            "(4) 写入后的首次重跑（受理一件后：案件数字由汇总表重算，走访帮扶数字仍在缓存）",
            rerun_ms,
            f"{rerun_ms / floor_ms:.2f}× 下限",
        ),
        ("    其中写入本身：accept_case（含汇总表更新）", write_ms, ""),
        (
            "(4) 看板全部聚合，不用缓存，用汇总表（无渲染）",
            sql_ms,
            f"{sql_ms / base_month_ms:.2f}× 本月基线",
        ),
        (
            "(4) 同上，不用汇总表：扫描案件表（1 次）",
            scan_ms,
            f"汇总表快 {scan_ms / sql_ms:,.0f} 倍",
        ),
        ("    首次打开（建引擎、迁移检查、算全部聚合）", first_ms, ""),
        ("    进程内存峰值 ru_maxrss（MB）", rss_mb, "含 AppTest 与 SQLite 页缓存"),
    ]


def _private_copy(engine: Engine) -> Engine:
    """A snapshot of the shared SQLite file (other benches write to it) made once, then reused."""
    source = Path(str(engine.url.database))
    target = source.with_name(source.stem + "-dashboard.db")
    if not target.exists():
        print(f"复制一份只供本测试使用：{target}", flush=True)
        partial = target.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
            src.backup(dst)
        partial.rename(target)
    engine.dispose()
    copy = make_engine(f"sqlite:///{target}")
    with copy.connect() as conn:
        found = conn.execute(text("SELECT COUNT(*) FROM cases")).scalar_one()
    print(f"使用 {target.name}（{found:,} 件）", flush=True)
    return copy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_dashboard", description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--url", default=None, help="默认 bench/out/ 下的 SQLite 文件")
    parser.add_argument("--reps", type=int, default=9, help="每项重复次数（取中位数）")
    parser.add_argument(
        "--shared",
        action="store_true",
        help="直接在共享的 SQLite 文件上测（默认先复制一份，免受其他进程写入干扰）",
    )
    args = parser.parse_args(argv)
    url = args.url or default_url(args.cases)
    engine = prepare(url, args.cases)
    if engine.dialect.name == "sqlite" and not args.shared:
        engine = _private_copy(engine)
    run_url = make_url(engine.url).render_as_string(hide_password=False)
    rows = measure(engine, run_url, args.reps)
    safe = make_url(engine.url).render_as_string(hide_password=True)
    print(
        f"\n书记看板重跑：{args.cases:,} 件案件，{engine.dialect.name}（{safe}），"
        f"每项 {args.reps} 次取中位数\n"
    )
    print("| 项目 | 中位数 ms | 比较 |")
    print("|---|---:|---|")
    for what, ms, note in rows:
        print(f"| {what} | {ms:,.1f} | {note} |")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
