"""台账导入 end to end on every backend: the messy 500+ row ledger, idempotence, interruption, KPIs."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import make_engine, session_factory
from db.models import Case, CaseEvent, CaseNumberCounter, ImportRow
from db.queries.imports import preview_import
from db.queries.kpis import Scope, kpi_snapshot
from domain.calendar import china_calendar
from domain.kpis import Period, Ratio
from domain.ledger_import import Field, ImportDefaults
from domain.workflow import FINISHED_STATUSES, OPEN_STATUSES, CaseStatus, Channel
from services.cases import PermissionDenied
from services.ledger_import import LedgerFileError, read_ledger, run_import
from tests.factories import NOW, World, make_world, migrate
from tests.helpers.ledger import (
    import_ledger,
    ledger,
    ledger_xlsx,
    staff_actor,
    stored_state,
)
from tests.helpers.ledger_fixtures import FIRST_DATA_ROW, HEADER_ROW


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session, cells=3)


def test_the_fixture_has_every_kind_of_mess():
    book = ledger()
    assert len(book.rows) - HEADER_ROW >= 500
    assert len(book.expected) > 350 and len(book.refused) > 60 and len(book.blank) > 10
    for kind in (
        "traditional", "fullwidth", "month_only", "historic", "near_grid", "near_category",
        "far_grid", "far_category", "unknown_status", "bad_phone", "missing", "duplicate",
        "blank", "bad_date", "anonymous", "finish_before", "unknown_channel",
    ):  # fmt: skip
        assert book.kinds.get(kind, 0) >= 3, kind
    cells = [row[1] for row in book.rows[FIRST_DATA_ROW - 1 :]]
    assert any(isinstance(v, int) for v in cells)  # Excel serial numbers
    assert any(isinstance(v, dt.datetime) for v in cells)  # date cells
    texts = [v for v in cells if isinstance(v, str)]
    for pattern in ("年", ".", "/", ":", "０", "-"):
        assert any(pattern in v for v in texts), pattern


def test_reading_finds_the_two_level_merged_header():
    table = read_ledger(ledger_xlsx(), "台账.xlsx")
    assert table.header_row == HEADER_ROW
    assert table.headers == [
        "序号", "受理日期", "反映人·姓名", "反映人·联系电话", "反映問題", "類別", "片区", "来源",
        "办理状态", "办理结果", "办结时间", "住址",
    ]  # fmt: skip
    assert table.rows[0][0] == FIRST_DATA_ROW


def test_preview_sorts_every_row_exactly(session, world):
    book = ledger()
    preview = preview_import(
        session,
        ledger=read_ledger(ledger_xlsx(), "台账.xlsx"),
        today=NOW.date(),
        actor=staff_actor(world),
    )
    assert preview.problems == []
    assert Field.REPORTER_PHONE in preview.mapping.values()
    assert 11 not in preview.mapping  # 住址 is not imported (and never published)
    assert {r.row_number: r.reasons for r in preview.refused} == book.refused
    assert preview.blank_rows == book.blank
    assert [r.row_number for r in preview.new_rows] == [e.row for e in book.expected]
    for row, expected in zip(preview.new_rows, book.expected, strict=True):
        assert (
            row.accepted_at, row.status, row.finished_at, row.channel, row.description,
            row.reporter_name, row.reporter_phone, row.warnings, row.original,
        ) == (
            expected.accepted_at, expected.status, expected.finished_at, expected.channel,
            expected.description, expected.reporter_name, expected.reporter_phone,
            expected.warnings, expected.original,
        ), expected.row  # fmt: skip


def test_import_creates_exactly_the_expected_cases(sessions, world):
    book = ledger()
    _, outcome = import_ledger(sessions, world, ledger_xlsx(), "台账.xlsx", chunk_size=100)
    assert outcome.imported == len(book.expected) and outcome.skipped == 0
    cells = {c.name: c.id for c in world.cells}
    categories = {c.name: c.id for c in world.categories}
    with sessions() as s:
        imported = {
            r.row_number: case
            for r, case in s.execute(
                select(ImportRow, Case).join(Case, Case.id == ImportRow.case_id)
            ).tuples()
        }
        assert sorted(imported) == [e.row for e in book.expected]
        for e in book.expected:
            case = imported[e.row]
            assert (
                case.accepted_at, case.status, case.finished_at, case.channel,
                case.description, case.reporter_name, case.reporter_phone,
                case.category_id, case.grid_cell_id, case.community_id,
            ) == (
                e.accepted_at, e.status.value, e.finished_at, e.channel.value,
                e.description, e.reporter_name, e.reporter_phone,
                categories[e.category], cells[e.cell], world.community.id,
            ), e.row  # fmt: skip
            assert case.is_anonymous is (e.reporter_name is None)
        # one 台账导入 event per case, keeping the original Traditional text
        events = s.scalars(select(CaseEvent).where(CaseEvent.action == "import")).all()
        assert len(events) == len(book.expected)
        by_case = {ev.case_id: json.loads(ev.data or "{}") for ev in events}
        for e in book.expected:
            data = by_case[imported[e.row].id]
            assert data["row"] == e.row and data["source"] == "台账.xlsx"
            assert data.get("original", {}) == e.original
            assert data.get("warnings", []) == list(e.warnings)
        assert any(e.original for e in book.expected)
        # gap-free numbers from the intake allocator, in file order within each year
        years = Counter(e.accepted_at.year for e in book.expected)
        counters = dict(
            s.execute(select(CaseNumberCounter.year, CaseNumberCounter.last_seq)).tuples().all()
        )
        assert counters == dict(years)
        for year, count in years.items():
            rows = [e.row for e in book.expected if e.accepted_at.year == year]
            numbers = [imported[r].case_no for r in rows]
            assert numbers == [f"MQ-{year}-{i:06d}" for i in range(1, count + 1)]


def test_importing_twice_adds_nothing(sessions, world):
    import_ledger(sessions, world, ledger_xlsx(), "台账.xlsx")
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(Case))
        again = preview_import(
            s,
            ledger=read_ledger(ledger_xlsx(), "台账.xlsx"),
            today=NOW.date(),
            actor=staff_actor(world),
        )
    assert again.new_rows == [] and not again.can_import
    assert len(again.already_imported) == before == len(ledger().expected)
    # even forcing the rows through the importer adds nothing: the fingerprints are stored
    outcome = run_import(
        sessions,
        rows=again.already_imported,
        source_name="台账.xlsx",
        actor=staff_actor(world),
        now=NOW,
    )
    assert (outcome.imported, outcome.skipped) == (0, before)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == before
        assert s.scalar(select(func.count()).select_from(CaseEvent)) == before


class Interrupted(RuntimeError):
    """Stands for the process dying after a commit."""


def test_an_interrupted_import_resumes_to_the_same_final_state(sessions, world, tmp_path):
    calls: list[int] = []

    def die_after_two_chunks(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        import_ledger(
            sessions,
            world,
            ledger_xlsx(),
            "台账.xlsx",
            chunk_size=50,
            on_progress=die_after_two_chunks,
        )
    with sessions() as s:
        # two whole chunks, numbers gap-free
        assert s.scalar(select(func.count()).select_from(Case)) == 100
        assert s.scalar(select(func.count()).select_from(ImportRow)) == 100
        assert s.scalar(select(func.sum(CaseNumberCounter.last_seq))) == 100
    preview, outcome = import_ledger(sessions, world, ledger_xlsx(), "台账.xlsx", chunk_size=50)
    assert len(preview.already_imported) == 100
    assert outcome.imported == len(ledger().expected) - 100

    # the same file imported without interruption into a fresh database
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    migrate(reference)
    ref_sessions = session_factory(reference)
    with ref_sessions() as s:
        ref_world = make_world(s, cells=3)
    import_ledger(ref_sessions, ref_world, ledger_xlsx(), "台账.xlsx", chunk_size=50)
    assert stored_state(sessions) == stored_state(ref_sessions)
    reference.dispose()


def test_a_failing_chunk_leaves_whole_rows_only(sessions, world, monkeypatch):
    import services.ledger_import as module

    original = module._insert_cases
    seen = {"n": 0}

    def fail_on_third_chunk(session, values):
        seen["n"] += 1
        ids = original(session, values)
        if seen["n"] == 3:
            raise Interrupted  # after the cases of chunk 3 were inserted, before events/prints
        return ids

    monkeypatch.setattr(module, "_insert_cases", fail_on_third_chunk)
    with pytest.raises(Interrupted):
        import_ledger(sessions, world, ledger_xlsx(), "台账.xlsx", chunk_size=40)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 80
        assert s.scalar(select(func.count()).select_from(CaseEvent)) == 80
        assert s.scalar(select(func.count()).select_from(ImportRow)) == 80
        assert s.scalar(select(func.sum(CaseNumberCounter.last_seq))) == 80


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_in_each_encoding_reads_like_the_workbook(session, world, encoding):
    book = ledger()
    preview = preview_import(
        session,
        ledger=read_ledger(book.csv(encoding), "台账.csv"),
        today=NOW.date(),
        actor=staff_actor(world),
    )
    assert [r.row_number for r in preview.new_rows] == [e.row for e in book.expected]
    assert {r.row_number: r.reasons for r in preview.refused} == book.refused
    assert [r.fingerprint for r in preview.new_rows] == [
        r.fingerprint
        for r in preview_import(
            session,
            ledger=read_ledger(ledger_xlsx(), "台账.xlsx"),
            today=NOW.date(),
            actor=staff_actor(world),
        ).new_rows
    ]


def test_mapping_step_for_unknown_headers(session, world):
    data = (
        "登记册\n事项日期,群众诉求事项,归属,类目\n2026.3.2,楼道堆放杂物影响通行,第1网格,环境卫生\n"
    )
    table = read_ledger(data.encode("utf-8"), "a.csv")
    assert table.headers == ["事项日期", "群众诉求事项", "归属", "类目"]
    guessed = preview_import(session, ledger=table, today=NOW.date(), actor=staff_actor(world))
    assert guessed.problems == ["缺少必需的列：类别", "缺少必需的列：网格"]
    mapping = {0: Field.ACCEPTED_AT, 1: Field.DESCRIPTION, 2: Field.GRID_CELL, 3: Field.CATEGORY}
    mapped = preview_import(
        session,
        ledger=table,
        today=NOW.date(),
        actor=staff_actor(world),
        mapping=mapping,
        defaults=ImportDefaults(channel=Channel.FORWARDED),
    )
    assert mapped.problems == [] and [r.row_number for r in mapped.new_rows] == [3]
    assert mapped.new_rows[0].channel is Channel.FORWARDED


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"PK\x03\x04broken", "a.xlsx", "无法读取该表格文件"),
        (b"a,b\n1,2\n", "a.csv", "没有找到表头"),
        (b"whatever", "a.xls", "无法读取该表格文件"),
        (b"whatever", "a.pdf", "只支持 .xlsx、.xls、.ods 和 .csv 文件"),
    ],
)
def test_unreadable_files(data: bytes, name: str, message: str):
    with pytest.raises(LedgerFileError, match=message):
        read_ledger(data, name)


@pytest.mark.parametrize("role", ["gridworker", "viewer"])
def test_only_desk_roles_may_import(sessions, world, role):
    with pytest.raises(PermissionDenied):
        run_import(sessions, rows=[], source_name="a.xlsx", actor=staff_actor(world, role), now=NOW)


# ---------------------------------------------------------------------------------------------
# KPIs afterwards, against values computed by hand from the fixture's ground truth


def _expected_kpis(rows, period: Period) -> dict[str, object]:
    accepted = [e for e in rows if e.accepted_at in period]
    base = [e for e in accepted if e.status is not CaseStatus.RETURNED]
    resolved = [e for e in base if e.status in FINISHED_STATUSES]
    finished = [e for e in rows if e.finished_at is not None and e.finished_at in period]
    # finished within 1 calendar day: on time (≤ 3 working days) and responded (≤ 1 working
    # day); 20 or 30 days later: neither (the fixture uses no other delays)
    on_time = [e for e in finished if (e.delay_days or 0) <= 1]
    responded = [e for e in accepted if e.finished_at is not None and (e.delay_days or 0) <= 1]
    cal = china_calendar()
    days = [cal.working_days_between(e.accepted_at.date(), e.finished_at.date()) for e in finished]
    running = {CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.ESCALATED}
    return {
        "accepted": len(accepted),
        "resolution": Ratio(len(resolved), len(base)),
        "on_time": Ratio(len(on_time), len(finished)),
        "response": Ratio(len(responded), len(accepted)),
        "satisfaction": Ratio(0, 0),
        "overdue": sum(1 for e in rows if e.status in running),
        "mean_handling_days": sum(days) / len(days) if days else None,
        "repeat": Ratio(0, len(accepted)),
        "community_resolution": Ratio(len(resolved), len(resolved)),
    }


def test_kpis_after_import_match_the_hand_computed_values(sessions, world):
    book = ledger()
    assert all(e.delay_days in (None, 0, 1, 20, 30) for e in book.expected)
    assert all(
        e.status in OPEN_STATUSES | FINISHED_STATUSES | {CaseStatus.RETURNED} for e in book.expected
    )
    import_ledger(sessions, world, ledger_xlsx(), "台账.xlsx")
    checks = [
        (
            Period.year_of(dt.date(2026, 1, 1)),
            Scope(community_id=world.community.id),
            book.expected,
        ),
        (Period.month_of(dt.date(2026, 5, 1)), Scope(), book.expected),
        (Period.year_of(dt.date(2011, 1, 1)), Scope(), book.expected),
    ]
    for cell in world.cells:
        rows = [e for e in book.expected if e.cell == cell.name]
        checks.append((Period.year_of(dt.date(2026, 1, 1)), Scope(grid_cell_id=cell.id), rows))
    with sessions() as s:
        for period, scope, rows in checks:
            snap = kpi_snapshot(s, period=period, now=NOW, scope=scope)
            got = {key: getattr(snap, key) for key in _expected_kpis(rows, period)}
            want = _expected_kpis(rows, period)
            assert got.pop("mean_handling_days") == pytest.approx(want.pop("mean_handling_days"))
            assert got == want, (period, scope)
        # and the figures themselves, for the whole of 2026 in the community
        snap = kpi_snapshot(
            s, period=Period.year_of(dt.date(2026, 1, 1)), now=NOW, scope=Scope(world.community.id)
        )
    assert snap.accepted == PINNED["accepted"]
    assert (snap.resolution.numerator, snap.resolution.denominator) == PINNED["resolution"]
    assert (snap.on_time.numerator, snap.on_time.denominator) == PINNED["on_time"]
    assert snap.overdue == PINNED["overdue"]


PINNED: dict[str, object] = {
    "accepted": 382,
    "resolution": (121, 308),
    "on_time": (62, 121),
    "overdue": 200,
}
"""The 2026 figures of the seed-7 fixture, written down once so that a change is noticed."""
