"""Exports read back with real readers: the ledger and 月报 workbooks (openpyxl), 月报 and 公示 PDFs (pypdf)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Case
from db.queries.imports import preview_import
from db.queries.kpis import kpi_snapshot
from db.queries.ledger import LEDGER_COLUMNS, LEDGER_HEADERS, LedgerFilters
from db.queries.notices import Notice, notices
from db.queries.reports import MonthlyReport, monthly_report
from db.queries.scope import Scope
from domain.kpis import KPI_DEFINITIONS, KPIS, Period
from services.ledger_import import read_ledger, run_import
from services.reports import KPI_HEADERS, monthly_report_pdf, monthly_report_xlsx, publicity_pdf
from tests.factories import NOW, World, make_world
from tests.helpers.anonymise import pdf_text
from tests.helpers.cases import export_xlsx_or_csv
from tests.helpers.ledger import CELLS, ledger, ledger_xlsx, staff_actor

MAY = dt.date(2026, 5, 1)
PHONE = re.compile(r"1[3-9]\d{9}")
ID_NUMBER = re.compile(r"\d{17}[\dXx]")


def _import_fixture(sessions: sessionmaker[Session], world: World) -> None:
    actor = staff_actor(world)
    with sessions() as s:
        preview = preview_import(
            s, ledger=read_ledger(ledger_xlsx(), "台账.xlsx"), today=NOW.date(), actor=actor
        )
    run_import(sessions, rows=preview.new_rows, source_name="台账.xlsx", actor=actor, now=NOW)


@pytest.fixture
def imported(sessions, session) -> World:
    world = make_world(session, cells=3)
    _import_fixture(sessions, world)
    return world


def _report(session: Session, world: World, month: dt.date = MAY) -> MonthlyReport:
    report = monthly_report(
        session,
        community_id=world.community.id,
        month=month,
        now=NOW,
        actor=staff_actor(world, "secretary"),
    )
    assert report is not None
    return report


def _notices(session: Session, world: World, period: Period) -> list[Notice]:
    return notices(session, period=period, scope=Scope(community_id=world.community.id))


def test_monthly_report_lines_are_the_kpi_snapshots(session, imported):
    report = _report(session, imported)
    assert [line.unit for line in report.lines] == [*CELLS, "测试社区合计"]
    assert report.title == "测试社区 2026年5月 民情工作月报"
    period = Period.month_of(MAY)
    for line, cell in zip(report.lines, imported.cells, strict=False):
        assert line.kpis == kpi_snapshot(
            session,
            period=period,
            now=NOW,
            scope=Scope(grid_cell_id=cell.id),
            overdue_as_of=period.end,  # 逾期 as it stood at the end of May
        )
    total = report.lines[-1].kpis
    assert total.accepted == sum(1 for e in ledger().expected if e.accepted_at in period)
    assert total.accepted == sum(line.kpis.accepted for line in report.lines[:-1])


def test_publicity_items_are_anonymised(session, imported):
    period = Period.month_of(MAY)
    items = _notices(session, imported, period)
    expected = [
        e for e in ledger().expected if e.finished_at is not None and e.finished_at in period
    ]
    assert len(items) == len(expected) > 5
    names = {n for e in ledger().expected for n in (e.reporter_name,) if n}
    for item in items:
        assert not PHONE.search(item.result) and not ID_NUMBER.search(item.result)
        assert not any(name in item.result for name in names)
    assert any("[电话已隐去]" in i.result for i in items)
    assert any("[证件号已隐去]" in i.result for i in items)


@pytest.fixture
def sqlite_imported(sqlite_engine) -> tuple[sessionmaker[Session], World]:
    from db.engine import session_factory

    sessions = session_factory(sqlite_engine)
    with sessions() as s:
        world = make_world(s, cells=3)
    _import_fixture(sessions, world)
    return sessions, world


def test_ledger_export_reads_back_with_headers_frozen_pane_and_widths(sqlite_imported):
    sessions, world = sqlite_imported
    actor = staff_actor(world, "secretary")  # the secretary of the world's 社区
    filters = LedgerFilters(grid_cell_ids=(world.cells[0].id,), accepted_from=dt.date(2026, 1, 1))
    with sessions() as s:
        data = export_xlsx_or_csv(s, filters=filters, now=NOW, actor=actor)
        wanted = sorted(
            s.scalars(
                select(Case.case_no).where(
                    Case.grid_cell_id == world.cells[0].id,
                    Case.accepted_at >= dt.datetime(2026, 1, 1),
                )
            )
        )
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == list(LEDGER_HEADERS)
    assert sheet.freeze_panes == "A2"
    for index, (_, _, width) in enumerate(LEDGER_COLUMNS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        assert sheet.column_dimensions[letter].width == width + 2
    numbers = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert numbers == wanted and len(numbers) > 50


def test_monthly_report_workbook_and_pdf(sqlite_imported):
    sessions, world = sqlite_imported
    with sessions() as s:
        report = _report(s, world)
    book = load_workbook(io.BytesIO(monthly_report_xlsx(report)))
    sheet = book["月报"]
    assert sheet["A1"].value == "测试社区 2026年5月 民情工作月报"
    assert [c.value for c in sheet[4]] == ["单位", *KPI_HEADERS]
    assert sheet.freeze_panes == "B5"
    assert sheet.column_dimensions["A"].width == 18
    assert sheet.column_dimensions["B"].width == 11
    units = [sheet.cell(row=r, column=1).value for r in range(5, 9)]
    assert units == [*CELLS, "测试社区合计"]
    total = report.lines[-1].kpis
    assert sheet["B8"].value == total.accepted
    assert sheet["C8"].value == pytest.approx(total.resolution.rate)
    assert sheet["C8"].number_format == "0.0%"
    assert len(sheet._charts) == 2

    text = pdf_text(monthly_report_pdf(report))
    assert "测试社区2026年5月民情工作月报" in text
    for header in (
        "受理件数",
        "解决率",
        "按期办结率",
        "逾期件数",
        "各网格受理件数",
        "各网格解决率",
    ):
        assert header in text
    rate = total.resolution
    assert f"{rate.percent()}（{rate.numerator}/{rate.denominator}）" in text
    # the KPI definitions are domain.kpis' table, in the workbook and in the PDF
    notes = {row[0]: row[1] for row in book["指标说明"].iter_rows(min_row=2, values_only=True)}
    assert notes == {k.label: k.definition for k in KPI_DEFINITIONS if k.key != "open_cases"}
    for key in ("resolution", "mean_handling_days", "satisfaction"):
        assert re.sub(r"\s", "", KPIS[key].definition) in text
    for cell in CELLS:
        assert cell in text


def test_publicity_pdf_has_chinese_and_no_personal_data(sqlite_imported):
    sessions, world = sqlite_imported
    period = Period.month_of(MAY)
    with sessions() as s:
        items = _notices(s, world, period)
    text = pdf_text(publicity_pdf("测试社区", period, items))
    assert "测试社区民情办理公示" in text
    assert f"共{len(items)}件" in text
    assert f"{len(items)}{items[-1].category}" in text  # numbered 1 … n, no case number
    assert "当日办结" in text and "[电话已隐去]" in text
    assert not PHONE.search(text) and not ID_NUMBER.search(text)
    book = ledger()
    for e in book.expected:
        assert e.reporter_phone is None or e.reporter_phone not in text
    names = {e.reporter_name for e in book.expected if e.reporter_name}
    assert not any(name in text for name in names)
    assert "栋" not in text and "单元" not in text  # addresses (住址 column) never imported
