"""台账导入 speed: a 100,000-row messy ledger (.xlsx) read, previewed and imported with a progress
callback, beside a plain bulk insert (executemany into ``cases``) of the same rows in the same run.

    python -m bench.bench_import                 # SQLite files under bench/out
    python -m bench.bench_import --rows 20000    # a smaller ledger

The import does more per row than the plain insert: gap-free numbers from the intake allocator
(``services.cases.allocate_case_seqs``, one block per year and chunk), an ``import`` event and an
``import_rows`` fingerprint per case, the KPI rollups of the chunk's cases, one transaction per
chunk.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from db.engine import make_engine, session_factory
from db.migrate import upgrade_to_head
from db.models import Case
from db.queries.imports import preview_import
from domain.deadlines import ClockRules
from domain.roles import Actor, Role
from services.ledger_import import case_values, read_ledger, run_import
from tests.factories import NOW, make_world
from tests.helpers.ledger_fixtures import build_ledger

OUT = Path(__file__).resolve().parent / "out"


def _fresh(name: str):  # type: ignore[no-untyped-def]
    path = OUT / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    sessions = session_factory(engine)
    with sessions() as s:
        world = make_world(s, cells=3)
    return engine, sessions, world


def main() -> None:
    """Build the ledger, import it, bulk-insert the same rows, print rows per second."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    engine, sessions, world = _fresh("import-bench.db")
    t0 = time.perf_counter()
    book = build_ledger(
        [c.name for c in world.cells], [c.name for c in world.categories], rows=args.rows
    )
    data = book.xlsx()
    t_build = time.perf_counter() - t0
    print(f"ledger: {args.rows:,} data rows ({len(book.expected):,} good, {len(book.refused):,} refused, "
          f"{len(book.blank):,} blank), {len(data) / 1e6:.1f} MB .xlsx, built in {t_build:.1f} s")  # fmt: skip

    t0 = time.perf_counter()
    ledger = read_ledger(data, "bench.xlsx")
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    user = world.users["staff"]
    actor = Actor(user.id, user.username, Role.STAFF, user.display_name, None, user.community_id)
    with sessions() as s:
        preview = preview_import(s, ledger=ledger, today=NOW.date(), actor=actor)
    t_preview = time.perf_counter() - t0
    assert len(preview.new_rows) == len(book.expected), "preview disagrees with the fixture"

    ticks: list[tuple[float, int]] = []
    t0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        ticks.append((time.perf_counter() - t0, done))
        if len(ticks) % 100 == 0 or done == total:
            print(f"  progress {done:,}/{total:,} at {ticks[-1][0]:.1f} s", flush=True)

    outcome = run_import(
        sessions,
        rows=preview.new_rows,
        source_name="bench.xlsx",
        actor=actor,
        now=NOW,
        on_progress=progress,
    )
    t_import = time.perf_counter() - t0
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == outcome.imported

    # The plain baseline: the same case rows, one executemany, one transaction, fresh database.
    base_engine, _, base_world = _fresh("import-bench-plain.db")
    rules = ClockRules()
    communities = {c.id: c.community_id for c in base_world.cells}
    values = [
        {**case_values(r, actor=actor, now=NOW, rules=rules, community_id=communities[r.grid_cell_id]),
         "case_no": f"MQ-P-{i:07d}"}
        for i, r in enumerate(preview.new_rows, start=1)
    ]  # fmt: skip
    t0 = time.perf_counter()
    with base_engine.begin() as conn:
        conn.execute(insert(Case), values)
    t_plain = time.perf_counter() - t0

    n = outcome.imported
    print(
        f"read .xlsx (merged cells, header search): {t_read:6.1f} s  {len(ledger.rows) / t_read:9,.0f} rows/s"
    )
    print(
        f"preview (parse, names, fingerprints):     {t_preview:6.1f} s  {len(ledger.rows) / t_preview:9,.0f} rows/s"
    )
    print(
        f"import with progress ({len(ticks)} callbacks):      {t_import:6.1f} s  {n / t_import:9,.0f} rows/s"
    )
    print(f"plain bulk insert (executemany):          {t_plain:6.1f} s  {n / t_plain:9,.0f} rows/s")
    print(f"import / plain: {t_import / t_plain:.1f}× the time of the bare insert")
    engine.dispose()
    base_engine.dispose()


if __name__ == "__main__":
    main()
