"""Case tracker speed: intake commit and every case action on the demo database, and the ledger
(first page, filtered page, free-text search, deep page, to-do counts) at 1,000,000 cases.

Each figure is printed beside a plain query measured in the same run, as ms and as a ratio.

    python -m bench.bench_cases                      # builds the databases under bench/out if missing
    python -m bench.bench_cases --big-url postgresql://…/db --demo-url postgresql://…/db2

Aims (SQLite, 1M cases): a ledger page under 150 ms, an intake commit under 30 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from db import search_index
from db.engine import make_engine, session_factory
from db.migrate import upgrade_to_head
from db.models import Case, CaseEvent, CaseNumberCounter, Category, GridCell, User
from db.queries.ledger import LedgerFilters, LedgerSort, ledger_page
from db.queries.todo import todo_counts
from db.queries.users import actor_of
from db.rollups import forget_cases
from domain.deadlines import ClockRules
from domain.roles import Actor, Role
from domain.validation import CaseDraft
from domain.workflow import Action
from services.cases import accept_case, apply_action

OUT = Path(__file__).resolve().parent / "out"
BIG_URL = f"sqlite:///{OUT / 'cases-1m.db'}"
DEMO_URL = f"sqlite:///{OUT / 'cases-demo.db'}"
RULES = ClockRules()


@dataclass
class Row:
    """One measured figure and its plain-query baseline."""

    name: str
    ms: float
    baseline: str
    baseline_ms: float

    def line(self) -> str:
        ratio = self.ms / self.baseline_ms if self.baseline_ms > 0 else float("inf")
        return f"{self.name:<38} {self.ms:9.2f} ms   {self.baseline:<44} {self.baseline_ms:9.2f} ms   ×{ratio:6.1f}"


def timed(fn: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    """Median wall time of ``fn`` in ms over ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def ensure_database(url: str, cases: int, *, events: bool) -> Engine:
    """Open ``url``; generate it with ``db.demo`` first if it holds no cases yet."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    with engine.connect() as conn:
        has_cases = conn.execute(select(Case.id).limit(1)).first() is not None
    if not has_cases:
        print(f"生成 {cases:,} 件案件的数据库：{url} …", flush=True)
        args = [sys.executable, "-m", "db.demo", "--url", url, "--cases", str(cases)]
        if not events:
            args.append("--no-events")
        subprocess.run(args, check=True)
    return engine


@dataclass
class Context:
    """Who acts and where, taken from the database itself."""

    actor: Actor
    cell_id: int
    category_id: int
    other_user_id: int
    now: dt.datetime
    worker: Actor | None = None


def context(session: Session) -> Context:
    staff = session.scalars(select(User).where(User.role == Role.STAFF.value).order_by(User.id))
    first, second = list(staff)[:2]
    # The actors a page would build (their 社区 and cells): an actor without a unit sees nothing.
    actor = actor_of(session, username=first.username)
    assert actor is not None
    cell_id = session.scalar(
        select(GridCell.id).where(GridCell.community_id == first.community_id).order_by(GridCell.id)
    )
    category_id = session.scalar(select(Category.id).order_by(Category.sort_order))
    latest = session.scalar(select(func.max(Case.accepted_at)))
    now = max(latest or dt.datetime(2026, 1, 1), dt.datetime.now().replace(microsecond=0))
    worker_user = session.scalar(
        select(User).where(User.role == Role.GRIDWORKER.value).order_by(User.id).limit(1)
    )
    worker = None
    if worker_user is not None and worker_user.grid_cells:
        worker = actor_of(session, username=worker_user.username)
    assert cell_id is not None and category_id is not None
    return Context(actor, int(cell_id), int(category_id), second.id, now, worker)


def draft(ctx: Context, n: int) -> CaseDraft:
    return CaseDraft(
        channel="hotline",
        category_id=ctx.category_id,
        handling_type="escalate",
        grid_cell_id=ctx.cell_id,
        description=f"压测案件 {n}：小区东门路灯不亮，晚上出行不便",
        accepted_at=ctx.now,
        reporter_name="压测",
        reporter_phone="13800000000",
    )


@contextmanager
def bench_cases_cleanup(engine: Engine) -> Iterator[None]:
    """Remove the cases this bench added (the 1M file is shared with other benches)."""
    with engine.connect() as conn:
        before = conn.execute(select(func.max(Case.id))).scalar() or 0
        counters = {
            y: n
            for y, n in conn.execute(select(CaseNumberCounter.year, CaseNumberCounter.last_seq))
        }
    try:
        yield
    finally:
        with engine.begin() as conn:
            added = conn.scalars(
                select(Case.id).where(Case.id > before, Case.case_no.not_like("PLAIN-%"))
            )
            forget_cases(conn, list(added))  # PLAIN- rows went in past the rollups
            search_index.forget_cases(
                conn, conn.scalars(select(Case.id).where(Case.id > before)).all()
            )
            conn.execute(delete(CaseEvent).where(CaseEvent.case_id > before))
            conn.execute(delete(Case).where(Case.id > before))
            conn.execute(delete(Case).where(Case.case_no.like("PLAIN-%")))
            for year, seq in counters.items():
                conn.execute(
                    update(CaseNumberCounter)
                    .where(CaseNumberCounter.year == year)
                    .values(last_seq=seq)
                )


def plain_insert(engine: Engine, ctx: Context, counter: list[int]) -> None:
    """Baseline: one Core INSERT of a case row and its commit."""
    counter[0] += 1
    with engine.begin() as conn:
        conn.execute(
            insert(Case).values(
                case_no=f"PLAIN-{counter[0]:08d}",
                channel="hotline",
                category_id=ctx.category_id,
                handling_type="escalate",
                status="accepted",
                is_urgent=False,
                community_id=select(GridCell.community_id)
                .where(GridCell.id == ctx.cell_id)
                .scalar_subquery(),
                grid_cell_id=ctx.cell_id,
                description="plain",
                is_anonymous=False,
                first_handler_id=ctx.actor.user_id,
                accepted_at=ctx.now,
                is_repeat=False,
                version=1,
                updated_at=ctx.now,
            )
        )


def bench_intake(engine: Engine, ctx: Context, repeat: int, label: str) -> Row:
    sessions = session_factory(engine)
    counter = [0]

    def intake() -> None:
        counter[0] += 1
        with sessions() as session:
            accept_case(
                session, draft=draft(ctx, counter[0]), actor=ctx.actor, now=ctx.now, rules=RULES
            )

    ms = timed(intake, repeat)
    plain_counter = [int(time.time())]
    plain = timed(lambda: plain_insert(engine, ctx, plain_counter), repeat)
    return Row(f"intake commit ({label})", ms, "INSERT one case row + COMMIT", plain)


def action_sequence(ctx: Context) -> list[tuple[Action, dict[str, object]]]:
    """Every action once or more, in an order the state machine accepts."""
    expected = ctx.now.date() + dt.timedelta(days=14)
    return [
        (Action.START, {"note": "已联系"}),
        (Action.REMIND, {"note": "请尽快办理"}),
        (Action.NOTE, {"note": "居民白天不在家"}),
        (Action.CORRECT, {"field": "description", "value": "更正：路灯不亮", "note": "记录有误"}),
        (Action.REASSIGN, {"assignee_id": ctx.other_user_id}),
        (Action.REQUEST_MATERIALS, {"materials": "身份证复印件"}),
        (Action.MATERIALS_RECEIVED, {}),
        (Action.ESCALATE, {"level": "subdistrict", "expected_date": expected}),
        (Action.ESCALATION_ANSWERED, {"answer": "街道已安排"}),
        (Action.FINISH_ANSWERED, {"result": "已答复", "level": "subdistrict"}),
        (Action.NOTIFY, {"method": "phone"}),
        (Action.FOLLOW_UP, {"satisfaction": "dissatisfied", "note": "仍未解决"}),
        (Action.FINISH_RESOLVED, {"result": "已修复"}),
        (Action.NOTIFY, {"method": "home"}),
        (Action.FOLLOW_UP, {"satisfaction": "satisfied"}),
        (Action.ARCHIVE, {}),
    ]


def bench_actions(engine: Engine, ctx: Context, repeat: int) -> list[Row]:
    sessions = session_factory(engine)
    with sessions() as session:
        ids = [
            accept_case(session, draft=draft(ctx, 10_000 + i), actor=ctx.actor, now=ctx.now, rules=RULES).id
            for i in range(repeat)
        ]  # fmt: skip
    samples: dict[str, list[float]] = {}
    for case_id in ids:
        version = 1
        for action, fields in action_sequence(ctx):
            started = time.perf_counter()
            with sessions() as session:
                case = apply_action(
                    session, case_id=case_id, expected_version=version, action=action,
                    actor=ctx.actor, now=ctx.now, rules=RULES, **fields,
                )  # fmt: skip
                version = case.version
            samples.setdefault(action.label, []).append((time.perf_counter() - started) * 1000)
    with sessions() as session:
        extra = accept_case(
            session, draft=draft(ctx, 99_999), actor=ctx.actor, now=ctx.now, rules=RULES
        )
    returned = []
    for _ in range(repeat):
        with sessions() as session:
            case = accept_case(
                session, draft=draft(ctx, 99_998), actor=ctx.actor, now=ctx.now, rules=RULES
            )
        started = time.perf_counter()
        with sessions() as session:
            apply_action(
                session, case_id=case.id, expected_version=1, action=Action.RETURN,
                actor=ctx.actor, now=ctx.now, rules=RULES, reason="不属于社区职责",
            )  # fmt: skip
        returned.append((time.perf_counter() - started) * 1000)
    samples[Action.RETURN.label] = returned

    def plain_update() -> None:
        with engine.begin() as conn:
            conn.execute(update(Case).where(Case.id == extra.id).values(updated_at=ctx.now))

    plain = timed(plain_update, repeat)
    return [
        Row(f"action: {label}", statistics.median(values), "UPDATE one case row + COMMIT", plain)
        for label, values in samples.items()
    ]


def bench_ledger(engine: Engine, ctx: Context, repeat: int, words: tuple[str, ...]) -> list[Row]:
    sessions = session_factory(engine)
    rows: list[Row] = []

    def plain(sql: str, **params: object) -> float:
        def run() -> None:
            with engine.connect() as conn:
                conn.execute(text(sql), params).all()

        return timed(run, repeat)

    def page(
        filters: LedgerFilters, page_no: int = 1, sort: LedgerSort = LedgerSort.ACCEPTED_DESC
    ) -> float:
        def run() -> None:
            with sessions() as session:
                ledger_page(
                    session, filters=filters, sort=sort, page=page_no, now=ctx.now,
                    actor=ctx.actor, rules=RULES,
                )  # fmt: skip

        return timed(run, repeat)

    limit50 = plain("SELECT * FROM cases LIMIT 50")
    count_all = plain("SELECT COUNT(*) FROM cases")
    first = page(LedgerFilters())
    rows.append(Row("ledger page 1 (no filter)", first, "SELECT * FROM cases LIMIT 50", limit50))
    rows.append(Row("ledger page 1 (no filter)", first, "SELECT COUNT(*) FROM cases", count_all))
    by_deadline = page(LedgerFilters(), sort=LedgerSort.DEADLINE_ASC)
    rows.append(
        Row("ledger page 1 by deadline", by_deadline, "SELECT * FROM cases LIMIT 50", limit50)
    )
    deep = page(LedgerFilters(), page_no=200)
    rows.append(
        Row("ledger page 200 (offset 9,950)", deep, "SELECT * FROM cases LIMIT 50", limit50)
    )
    filtered = LedgerFilters(grid_cell_ids=(ctx.cell_id,), category_ids=(ctx.category_id,))
    rows.append(
        Row(
            "ledger page 1 (cell + category)",
            page(filtered),
            "COUNT(*) WHERE grid_cell_id=? AND category_id=?",
            plain(
                "SELECT COUNT(*) FROM cases WHERE grid_cell_id = :c AND category_id = :k",
                c=ctx.cell_id,
                k=ctx.category_id,
            ),
        )
    )
    rows.append(
        Row(
            "ledger page 1 (overdue)",
            page(LedgerFilters(overdue=True)),
            "COUNT(*) WHERE status=? (in_progress)",
            plain("SELECT COUNT(*) FROM cases WHERE status = 'in_progress'"),
        )
    )
    rows.append(
        Row(
            "ledger page 1 (overdue, by deadline)",
            page(LedgerFilters(overdue=True), sort=LedgerSort.DEADLINE_ASC),
            "COUNT(*) WHERE status=? (in_progress)",
            plain("SELECT COUNT(*) FROM cases WHERE status = 'in_progress'"),
        )
    )
    rows.append(
        Row(
            "ledger page 1 (channel 民情热线)",
            page(LedgerFilters(channels=("hotline",))),
            "COUNT(*) WHERE channel='hotline'",
            plain("SELECT COUNT(*) FROM cases WHERE channel = 'hotline'"),
        )
    )
    rows.append(
        Row(
            "ledger page 1 (status 归档)",
            page(LedgerFilters(statuses=("archived",))),
            "COUNT(*) WHERE status='archived'",
            plain("SELECT COUNT(*) FROM cases WHERE status = 'archived'"),
        )
    )
    worker = ctx.worker
    if worker is not None:

        def worker_page() -> None:
            with sessions() as session:
                ledger_page(
                    session, filters=LedgerFilters(), page=1, now=ctx.now, actor=worker,
                    rules=RULES,
                )  # fmt: skip

        rows.append(
            Row(
                f"grid worker page 1 ({len(worker.grid_cell_ids or ())} cells)",
                timed(worker_page, repeat),
                "SELECT * FROM cases LIMIT 50",
                limit50,
            )
        )
    rows.append(
        Row(
            "ledger page 1 (status 已受理 + hotline)",
            page(LedgerFilters(statuses=("accepted",), channels=("hotline",))),
            "COUNT(*) WHERE status=? (in_progress)",
            plain("SELECT COUNT(*) FROM cases WHERE status = 'in_progress'"),
        )
    )
    for word in words:
        rows.append(
            Row(
                f"ledger free text 「{word}」",
                page(LedgerFilters(text=word)),
                f"COUNT(*) WHERE description LIKE '%{word}%'",
                plain("SELECT COUNT(*) FROM cases WHERE description LIKE :w", w=f"%{word}%"),
            )
        )
    number = None
    with engine.connect() as conn:
        number = conn.execute(select(Case.case_no).order_by(Case.id.desc()).limit(1)).scalar()
    rows.append(
        Row(
            "ledger search by full case number",
            page(LedgerFilters(text=number or "MQ-2026-000001")),
            "SELECT * FROM cases LIMIT 50",
            limit50,
        )
    )

    def todo() -> None:
        with sessions() as session:
            todo_counts(session, actor=ctx.actor, now=ctx.now, rules=RULES)

    rows.append(
        Row("to-do counts (4 counts)", timed(todo, repeat), "SELECT COUNT(*) FROM cases", count_all)
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_cases")
    parser.add_argument("--big-url", default=BIG_URL, help="database with 1,000,000 cases")
    parser.add_argument("--big-cases", type=int, default=1_000_000)
    parser.add_argument("--demo-url", default=DEMO_URL, help="demo-sized database (with events)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--words",
        default="路灯,漏水,王伟,文盛路12号,灯,13912345678,5678,MQ-2026-0001,查无此词",
        help="free-text search terms, comma-separated (Chinese words, one character, a phone,"
        " a phone's last digits, part of a case number, a word that matches nothing)",
    )
    parser.add_argument("--skip-demo", action="store_true", help="only the 1M-case measures")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)

    results: list[tuple[str, list[Row]]] = []
    if not args.skip_demo:
        demo = ensure_database(args.demo_url, 3000, events=True)
        with session_factory(demo)() as session:
            demo_ctx = context(session)
            demo_cases = session.scalar(select(func.count()).select_from(Case))
        with bench_cases_cleanup(demo):
            rows = [bench_intake(demo, demo_ctx, args.repeat, f"{demo_cases:,} cases")]
            rows += bench_actions(demo, demo_ctx, args.repeat)
        results.append((f"demo database ({demo.dialect.name}, {demo_cases:,} cases)", rows))
    big = ensure_database(args.big_url, args.big_cases, events=False)

    with session_factory(big)() as session:
        big_ctx = context(session)
        big_cases = session.scalar(select(func.count()).select_from(Case))
    with bench_cases_cleanup(big):
        rows = [bench_intake(big, big_ctx, args.repeat, f"{big_cases:,} cases")]
    rows += bench_ledger(big, big_ctx, args.repeat, tuple(w for w in args.words.split(",") if w))
    results.append((f"big database ({big.dialect.name}, {big_cases:,} cases)", rows))

    print(
        f"\nbench_cases — median of {args.repeat} runs, each beside a plain query of the same run"
    )
    for title, rows in results:
        print(f"\n== {title}")
        print(f"{'measure':<38} {'ms':>12}   {'plain query':<44} {'ms':>12}   ratio")
        for row in rows:
            print(row.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
