"""Real-shaped ledgers in: a 2011 workbook of month sheets behind a 填表说明 sheet, and a GBK CSV
with a merged two-level header — row by row, and the KPIs of the imported year by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Case, ImportRow
from db.queries.imports import preview_import
from db.queries.kpis import Scope, kpi_snapshot
from domain.kpis import Period, Ratio
from domain.workflow import CaseStatus
from services.ledger_import import read_ledgers, run_import
from tests.factories import NOW, World, make_world
from tests.helpers.ledger import staff_actor
from tests.helpers.real_ledgers import gbk_csv, month_workbook


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session, cells=3)


def _import_all(sessions, world, data: bytes, name: str):
    actor = staff_actor(world)
    previews = []
    for ledger in read_ledgers(data, name):
        with sessions() as s:
            preview = preview_import(s, ledger=ledger, today=NOW.date(), actor=actor)
        run_import(
            sessions, rows=preview.new_rows, source_name=ledger.source_name, actor=actor, now=NOW
        )
        previews.append((ledger, preview))
    return previews


def _stored(sessions) -> dict[tuple[str, int], tuple[object, ...]]:
    with sessions() as s:
        rows = s.execute(
            select(
                ImportRow.source_name,
                ImportRow.row_number,
                Case.status,
                Case.reporter_phone,
                Case.deadline_at,
                Case.satisfaction,
            ).join(Case, Case.id == ImportRow.case_id)
        )
        return {(src.rsplit(" · ", 1)[-1], n): tuple(rest) for src, n, *rest in rows}


def test_month_workbook_skips_the_instructions_and_imports_every_month(sessions, world):
    book = month_workbook()
    previews = _import_all(sessions, world, book.data, "2011年台账.xlsx")
    assert [ledger.sheet for ledger, _ in previews] == ["1月", "2月", "3月"]
    refused = {(ledger.sheet, r.row_number): r.reasons for ledger, p in previews for r in p.refused}
    assert refused == {(f.sheet, f.row): f.reasons for f in book.refused}
    stored = _stored(sessions)
    assert set(stored) == {(f.sheet, f.row) for f in book.imported}
    for fate in book.imported:
        status, phone, deadline, satisfaction = stored[(fate.sheet, fate.row)]
        assert (status, phone, satisfaction) == (
            fate.status.value if fate.status else None,
            fate.phone,
            fate.satisfaction.value if fate.satisfaction else None,
        ), fate
        if fate.deadline is not None:  # the ledger's own 限办日期 is kept
            assert deadline == dt.datetime.combine(fate.deadline, dt.time(23, 59, 59)), fate


def test_deadlines_without_a_date_follow_that_years_holidays(sessions, world):
    _import_all(sessions, world, month_workbook().data, "2011年台账.xlsx")
    stored = _stored(sessions)
    # 2011-02-10 (Thu), 春节 to 02-08, Saturday 02-12 a 调休 working day: 3 working days → 02-14
    # (Monday–Friday counting would give 02-15).
    assert stored[("2月", 5)][2] == dt.datetime(2011, 2, 14, 23, 59, 59)
    # 2011-01-05 (Wed): 06, 07, 10 → 01-10.
    assert stored[("1月", 4)][2] == dt.datetime(2011, 1, 10, 23, 59, 59)


def test_kpis_of_the_imported_year_by_hand(sessions, world):
    _import_all(sessions, world, month_workbook().data, "2011年台账.xlsx")
    with sessions() as s:
        snap = kpi_snapshot(s, period=Period.year_of(dt.date(2011, 1, 1)), now=NOW, scope=Scope())
    # accepted: 1月 3 + 2月 2 + 3月 1 imported rows
    assert snap.accepted == 6
    # resolved: the four 已回访/已办结/已答复 rows of the six
    assert snap.resolution == Ratio(4, 6)
    # on time: 1月 row 5 finished 01-20 past its own 限办日期 01-12; the other three in time
    assert snap.on_time == Ratio(3, 4)
    # 满意率: 满意 + 基本满意 of the answered follow-ups (满意, 不满意, 基本满意; 未评价 left out)
    assert snap.satisfaction == Ratio(2, 3)


def test_gbk_csv_with_a_merged_two_level_header(sessions, world):
    book = gbk_csv("1月")
    previews = _import_all(sessions, world, book.data, "1月.csv")
    ((ledger, preview),) = previews
    assert ledger.headers[3] == "反映人·联系电话" and ledger.headers[11] == "回访情况·满意度"
    assert {r.row_number: r.reasons for r in preview.refused} == {
        f.row: f.reasons for f in book.refused
    }
    stored = _stored(sessions)
    assert {(k[1], v[0], v[1]) for k, v in stored.items()} == {
        (f.row, f.status.value if f.status else None, f.phone) for f in book.imported
    }
    with sessions() as s:
        snap = kpi_snapshot(s, period=Period.year_of(dt.date(2011, 1, 1)), now=NOW, scope=Scope())
    assert (snap.accepted, snap.resolution, snap.satisfaction) == (3, Ratio(2, 3), Ratio(1, 2))
    assert CaseStatus.FOLLOWED_UP.value == stored[("1月.csv", 4)][0]
