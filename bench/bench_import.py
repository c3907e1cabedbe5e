"""台账导入 speed: a 100,000-row messy ledger (.xlsx) read, previewed and imported as the page
does it (an import job, ``services.import_jobs``), beside a plain bulk insert (one executemany
into ``cases``) of the same rows into a copy of the same database, in the same run.

    python -m bench.bench_import                       # SQLite files under bench/out
    python -m bench.bench_import --rows 20000          # a smaller ledger
    python -m bench.bench_import --existing 200000     # into a database already holding cases

The import does more per row than the plain insert: gap-free numbers (one counter UPDATE per
year and chunk), an ``import`` event and an ``import_rows`` fingerprint per case, the KPI
rollups of the chunk's cases, the job's progress, one transaction per chunk. The figure that
counts is the import's row rate as a share of the plain insert's (issue 15: at least half).
Peak RSS is the whole process's (ledger building included), printed after each phase.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import shutil
import time
from pathlib import Path

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, session_factory
from db.migrate import upgrade_to_head
from db.models import Case, ImportJob
from db.queries.imports import preview_import
from db.queries.users import actor_of
from db.rollups import rebuild
from domain.deadlines import ClockRules
from domain.ledger_import import ParsedRow
from domain.roles import Actor
from services.import_jobs import launch_job
from services.ledger_import import case_values, read_ledger
from tests.factories import NOW, World, make_world
from tests.helpers.ledger_fixtures import build_ledger

OUT = Path(__file__).resolve().parent / "out"


def _rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _unlink(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _fresh(path: Path) -> tuple[Engine, sessionmaker[Session], World]:
    _unlink(path)
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    sessions = session_factory(engine)
    with sessions() as s:
        world = make_world(s, cells=3)
    return engine, sessions, world


def _fill(engine: Engine, world: World, rows: list[ParsedRow], count: int, actor: Actor) -> None:
    """``count`` cases that were there before (the ledger's rows again, shifted years back)."""
    rng = random.Random(7)
    rules = ClockRules()
    cells = {c.id: c.community_id for c in world.cells}
    made = 0
    with engine.begin() as conn:
        while made < count:
            batch = []
            for row in rng.sample(rows, min(len(rows), 10_000, count - made)):
                values = case_values(
                    row,
                    actor=actor,
                    now=NOW,
                    rules=rules,
                    community_id=cells[row.grid_cell_id],
                )
                made += 1
                batch.append({**values, "case_no": f"MQ-E-{made:08d}"})
            conn.execute(insert(Case.__table__), batch)  # type: ignore[arg-type]
        rebuild(conn)


def _ledger_file(cells: list[str], categories: list[str], rows: int) -> tuple[str, int, int, int]:
    """The bench ledger as an .xlsx under bench/out (built once per size) and its row counts."""
    path = OUT / f"ledger-{rows}.xlsx"
    counts = OUT / f"ledger-{rows}.json"
    if not (path.exists() and counts.exists()):
        book = build_ledger(cells, categories, rows=rows)
        path.write_bytes(book.xlsx())
        counts.write_text(json.dumps([len(book.expected), len(book.refused), len(book.blank)]))
    expected, refused, blank = json.loads(counts.read_text())
    return str(path), expected, refused, blank


def main() -> None:
    """Build the ledger, import it as a job, bulk-insert the same rows, print rates and RSS."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="data rows of the ledger")
    parser.add_argument("--existing", type=int, default=0, help="cases already in the database")
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the database files")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    start_db = out / "import-bench-start.db"
    engine, sessions, world = _fresh(start_db)
    t0 = time.perf_counter()
    # Built in a child process (and kept): the fixture's openpyxl workbook is not the import's
    # memory, so this process's peak RSS is reading, preview and import only.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        path, expected, refused, blank = pool.apply(
            _ledger_file,
            ([c.name for c in world.cells], [c.name for c in world.categories], args.rows),
        )
    data = Path(path).read_bytes()
    print(f"ledger: {args.rows:,} data rows ({expected:,} good, {refused:,} refused, "
          f"{blank:,} blank), {len(data) / 1e6:.1f} MB .xlsx, ready in "
          f"{time.perf_counter() - t0:.1f} s; peak RSS {_rss_mb():.0f} MB")  # fmt: skip

    t0 = time.perf_counter()
    ledger = read_ledger(data, "bench.xlsx")
    t_read = time.perf_counter() - t0
    del data
    with sessions() as s:
        actor = actor_of(s, username="staff")
        assert actor is not None
        t0 = time.perf_counter()
        preview = preview_import(s, ledger=ledger, today=NOW.date(), actor=actor)
        t_preview = time.perf_counter() - t0
    assert len(preview.new_rows) == expected, "preview disagrees with the fixture"
    rows = preview.new_rows
    source_rows = len(ledger.rows)
    del ledger
    print(f"read + preview done; peak RSS {_rss_mb():.0f} MB")

    if args.existing:
        t0 = time.perf_counter()
        _fill(engine, world, rows, args.existing, actor)
        print(f"database filled with {args.existing:,} cases (rollups rebuilt) in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    engine.dispose()
    import_db = out / "import-bench.db"
    plain_dbs = [out / "import-bench-plain-before.db", out / "import-bench-plain-after.db"]
    for copy in (import_db, *plain_dbs):
        _unlink(copy)
        shutil.copyfile(start_db, copy)
    rules = ClockRules()
    communities = {c.id: c.community_id for c in world.cells}
    values = [
        {**case_values(r, actor=actor, now=NOW, rules=rules, community_id=communities[r.grid_cell_id]),
         "case_no": f"MQ-P-{i:07d}"}
        for i, r in enumerate(rows, start=1)
    ]  # fmt: skip

    def plain_insert(path: Path) -> tuple[float, float]:
        """The plain baseline: the same case rows, one executemany, one transaction."""
        plain = make_engine(f"sqlite:///{path}")
        w0, c0 = time.perf_counter(), time.process_time()
        with plain.begin() as conn:
            conn.execute(insert(Case.__table__), values)  # type: ignore[arg-type]
        timing = time.perf_counter() - w0, time.process_time() - c0
        plain.dispose()
        return timing

    # before and after the import: the machine's load changes while the import runs
    plain_times = [plain_insert(plain_dbs[0])]

    engine = make_engine(f"sqlite:///{import_db}")
    sessions = session_factory(engine)
    t0, c0 = time.perf_counter(), time.process_time()
    # as the page does it: the job stored (claimed), then run in a thread from the rows in memory
    job_id, thread = launch_job(
        sessions, parts=[("bench.xlsx", rows)], actor=actor, now=NOW, clock=lambda: NOW
    )
    t_store = time.perf_counter() - t0  # the thread has begun meanwhile
    # The import ends when the job is 已完成; the job then indexes the new cases for the ledger
    # search (db.search_index), timed apart: the plain baseline keeps no such index.
    status = None
    while thread.is_alive() and status != "done":
        time.sleep(0.02)
        with sessions() as s:
            status = s.scalar(select(ImportJob.status).where(ImportJob.id == job_id))
    t_import, c_import = time.perf_counter() - t0, time.process_time() - c0
    thread.join()
    t_index, c_index = time.perf_counter() - t0 - t_import, time.process_time() - c0 - c_import
    with sessions() as s:
        status = s.scalar(select(ImportJob.status).where(ImportJob.id == job_id))
    with sessions() as s:
        imported = s.scalar(select(ImportJob.imported).where(ImportJob.id == job_id))
        total = s.scalar(select(func.count()).select_from(Case))
    assert status == "done" and imported == expected, (status, imported)
    assert total == expected + args.existing
    print(f"import done; peak RSS {_rss_mb():.0f} MB")

    plain_times.append(plain_insert(plain_dbs[1]))
    t_plain = sum(t for t, _ in plain_times) / 2
    c_plain = sum(c for _, c in plain_times) / 2

    n = expected
    print(f"existing cases in the database:          {args.existing:9,}")
    print(f"read .xlsx (merged cells, header search): {t_read:6.1f} s  {source_rows / t_read:9,.0f} rows/s")  # fmt: skip
    print(f"preview (parse, names, fingerprints):     {t_preview:6.1f} s  {source_rows / t_preview:9,.0f} rows/s")  # fmt: skip
    print(f"import job: stored after                  {t_store:6.1f} s")
    print(f"import job in all:                        {t_import:6.1f} s  {n / t_import:9,.0f} rows/s")  # fmt: skip
    print(f"then indexing for search:                 {t_index:6.1f} s  (CPU {c_index:.1f} s)")
    print(f"plain bulk insert (executemany):          {t_plain:6.1f} s  {n / t_plain:9,.0f} rows/s"
          f"  (before {plain_times[0][0]:.1f} s, after {plain_times[1][0]:.1f} s)")  # fmt: skip
    print(f"CPU time: import {c_import:.1f} s, plain {c_plain:.1f} s")
    print(f"import rate / plain rate: wall {t_plain / t_import:.0%}, CPU {c_plain / c_import:.0%}"
          " (goal: at least 50%)")  # fmt: skip
    print(f"peak RSS: {_rss_mb():.0f} MB")
    engine.dispose()


if __name__ == "__main__":
    main()
