"""The demo generator's entry points: ``generate``, ``ensure_demo_data`` and the CLI.

``random.Random(seed)`` drives everything, so the same seed, ``today`` and rules give the same
rows. Rows are written with bulk inserts and ids assigned here (one million cases take
minutes). Figures are calibrated on DOMAIN.md: 解决率 ≈ 85 %, 满意率 ≈ 95 %, most households
visited. Deadlines follow the configured ``ClockRules`` (``config.load_settings().clock``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from config import load_settings, local_now
from db.demo.activity import Activity
from db.demo.cases import CaseWriter
from db.demo.common import Clock, Period, Picker, months_back
from db.demo.people import PeopleWriter
from db.demo.territory import Territory
from db.demo.writer import BulkWriter
from db.models import Base, Community
from db.rollups import rebuild as rebuild_rollups
from db.search_index import rebuild as rebuild_search_index
from domain.calendar import china_calendar
from domain.deadlines import ClockRules

DEMO_CASES = 3000
"""Cases in the demo database (about a year of a four-社区 街道)."""


@dataclass
class GenerationReport:
    """What ``generate`` wrote: rows per table and the time it took."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line per table, in Chinese, for the CLI."""
        lines = [f"  {name:<22}{n:>12,}" for name, n in self.counts.items()]
        return "\n".join([*lines, f"  用时 {self.seconds:.1f} 秒"])


def configured_rules() -> ClockRules:
    """The deadline rules the app runs with (``MINQING_LIMIT_DAYS`` …, see ``config``)."""
    return load_settings().clock


def default_now(today: dt.date) -> dt.datetime:
    """With a pinned ``today``, "now" is that day's evening (so today's cases are in the past)."""
    return dt.datetime.combine(today, dt.time(18, 0))


def generate_in(
    conn: Connection,
    *,
    cases: int,
    seed: int,
    today: dt.date,
    now: dt.datetime,
    with_events: bool,
    rules: ClockRules,
) -> GenerationReport:
    """Write the demo 街道 through ``conn`` (the caller owns the transaction)."""
    started = time.perf_counter()
    writer = BulkWriter(conn)
    rng = random.Random(seed)
    clock = Clock(china_calendar(), rules)
    period = Period(today=today, now=now, start=months_back(today, 11))
    territory = Territory(writer, rng, now)
    day_weights = period.days(clock.cal)
    day_pick = Picker([d for d, _ in day_weights], [w for _, w in day_weights])
    activity = Activity(writer, territory, period, rng, n_cases=cases)
    activity.write_visits(day_pick)
    activity.write_assistance(day_pick)
    CaseWriter(
        writer, territory, activity, period, clock, n_cases=cases, with_events=with_events
    ).write(day_weights)
    PeopleWriter(writer, territory, period, seed=seed).write(with_events=with_events)
    writer.fix_sequences()
    rebuild_rollups(conn)  # the cases went in by bulk INSERT, past the ORM's write hook
    rebuild_search_index(conn)
    return GenerationReport(dict(writer.counts), time.perf_counter() - started)


def generate(
    engine: Engine,
    *,
    cases: int,
    seed: int = 42,
    today: dt.date,
    with_events: bool = True,
    now: dt.datetime | None = None,
    rules: ClockRules | None = None,
) -> GenerationReport:
    """Write the demo 街道 with ``cases`` cases over twelve months ending ``today`` (one transaction).

    ``rules`` default to the configured ones.
    """
    with engine.begin() as conn:
        return generate_in(
            conn,
            cases=cases,
            seed=seed,
            today=today,
            now=now or default_now(today),
            with_events=with_events,
            rules=rules or configured_rules(),
        )


def has_communities(conn: Connection) -> bool:
    """True once the database holds a 社区 (the demo, or real data)."""
    return conn.execute(select(Community.id).limit(1)).first() is not None


def ensure_demo_data(
    engine: Engine, *, today: dt.date | None = None, rules: ClockRules | None = None
) -> bool:
    """Generate the demo data if there is no 社区 yet; True if this call generated it.

    Safe when two processes start at once: the loser of the race hits the unique 街道 name
    (or waits out the winner's lock) and returns False.
    """
    with engine.connect() as conn:
        if has_communities(conn):
            return False
    if today is None:
        now = local_now()
        today = now.date()
    else:
        now = default_now(today)
    rules = rules or configured_rules()
    deadline = time.monotonic() + 120
    while True:
        try:
            with engine.begin() as conn:
                if has_communities(conn):
                    return False
                generate_in(
                    conn,
                    cases=DEMO_CASES,
                    seed=42,
                    today=today,
                    now=now,
                    with_events=True,
                    rules=rules,
                )
            return True
        except IntegrityError:
            return False  # another process wrote the demo 街道 first
        except OperationalError:
            # Another process holds the lock while it generates (SQLite "database is locked",
            # a MariaDB deadlock): wait for it, then see whether it finished the job.
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)
            with engine.connect() as conn:
                if has_communities(conn):
                    return False


def clear(engine: Engine) -> None:
    """Drop every table (and Alembic's version row) so that the target can be rebuilt."""
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m db.demo``: generate demo or benchmark data into ``--url``."""
    from db.engine import make_engine
    from db.migrate import upgrade_to_head

    parser = argparse.ArgumentParser(prog="python -m db.demo", description="生成演示/压测数据")
    parser.add_argument("--url", required=True, help="目标数据库，如 sqlite:///bench/out/x.db")
    parser.add_argument("--cases", type=int, default=DEMO_CASES, help="案件数")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD")
    parser.add_argument("--no-events", action="store_true", help="不写案件流转记录（大数据量）")
    parser.add_argument("--replace", action="store_true", help="清空目标数据库后重新生成")
    args = parser.parse_args(argv)

    engine = make_engine(args.url)
    upgrade_to_head(engine)
    with engine.connect() as conn:
        has_data = has_communities(conn)
    if has_data:
        if not args.replace:
            print(
                "目标数据库已有数据，未写入。如需清空后重新生成，请加 --replace。", file=sys.stderr
            )
            return 2
        clear(engine)
        upgrade_to_head(engine)
    today = args.today or local_now().date()
    report = generate(
        engine, cases=args.cases, seed=args.seed, today=today, with_events=not args.no_events
    )
    print(f"已生成演示数据（截至 {today.isoformat()}，种子 {args.seed}）：")
    print(report.summary())
    engine.dispose()
    return 0
