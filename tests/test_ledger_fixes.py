"""台账导入's refused rows: corrected in place and checked again by the same parsing, or
downloaded as .xlsx, fixed and imported on their own — twice adds nothing."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Case, CaseEvent
from db.queries.imports import ImportPreview, preview_import
from domain.ledger_import import ColumnMapping, Field, LedgerFile, guess_mapping
from services.ledger_fixes import (
    ACCEPTED,
    CORRECTED_NOTE,
    RESULT_COLUMN,
    ROW_COLUMN,
    apply_fixes,
    fix_table,
    fixes_from_table,
    mark_corrected,
    refused_workbook,
    shown_columns,
)
from services.ledger_import import read_ledgers, run_import
from tests.factories import NOW, World, make_world
from tests.helpers.ledger import staff_actor
from tests.helpers.real_ledgers import PHONE_HINT, STATUS_HINT, gbk_csv

XLS = Path(__file__).parent / "data" / "ledgers" / "民情台账2011.xls"
PHONE = 3  # D: 反映人·联系电话 (A 序号, B 受理时间, C 反映人·姓名)
DESCRIPTION = 4
STATUS = 7


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session, cells=3)


def _preview(
    session: Session, world: World, ledger: LedgerFile, mapping: ColumnMapping | None = None
) -> ImportPreview:
    return preview_import(
        session, ledger=ledger, today=NOW.date(), actor=staff_actor(world), mapping=mapping
    )


def _csv() -> LedgerFile:
    (ledger,) = read_ledgers(gbk_csv("1月").data, "1月.csv")
    return ledger


def test_a_corrected_cell_makes_the_refused_row_import(session: Session, world: World) -> None:
    ledger = _csv()
    before = _preview(session, world, ledger)
    assert [(r.row_number, r.reasons) for r in before.refused] == [
        (7, (f"联系电话「电话停机」格式不正确{PHONE_HINT}",))
    ]
    fixes = {7: {PHONE: "139-0000-1111"}}
    after = mark_corrected(
        _preview(session, world, apply_fixes(ledger, fixes)), fixes, before.mapping
    )
    assert not after.refused
    fixed = next(r for r in after.new_rows if r.row_number == 7)
    assert (fixed.reporter_phone, fixed.description) == ("13900001111", "下水道堵塞")
    assert fixed.warnings[-1] == CORRECTED_NOTE + "联系电话"
    # the rows that were good are untouched, and the file's own rows are not changed
    assert [r for r in after.new_rows if r.row_number != 7] == before.new_rows
    assert dict(ledger.rows)[7][PHONE] == "电话停机"


def test_a_still_bad_correction_is_refused_with_its_reason(session: Session, world: World) -> None:
    ledger = _csv()
    fixes = {7: {PHONE: "1390000", DESCRIPTION: "漏"}}
    after = _preview(session, world, apply_fixes(ledger, fixes))
    assert [(r.row_number, r.reasons) for r in after.refused] == [
        (7, ("诉求内容太短（至少 2 个字）", f"联系电话「1390000」格式不正确{PHONE_HINT}"))
    ]
    assert 7 not in {r.row_number for r in after.new_rows}


def test_the_editor_table_keeps_what_was_typed_and_only_real_changes(
    session: Session, world: World
) -> None:
    (ledger,) = read_ledgers(XLS.read_bytes(), XLS.name)
    preview = _preview(session, world, ledger)
    columns = shown_columns(ledger, preview.mapping)
    table = fix_table(ledger, preview, {}, columns)
    assert [row[ROW_COLUMN] for row in table] == [7, 10, 12]
    titles = dict(columns)
    first = table[0]
    # a date cell is shown as typed, and not counted as corrected when left alone
    assert first[titles[1]] == "2011-01-14" and first[titles[PHONE]] == "电话停机"
    edited = [dict(row) for row in table]
    edited[0][titles[PHONE]] = "13900001111"
    edited[2][titles[STATUS]] = "已办结"
    fixes = fixes_from_table(ledger, columns, edited, {})
    assert fixes == {7: {PHONE: "13900001111"}, 12: {STATUS: "已办结"}}
    after = _preview(session, world, apply_fixes(ledger, fixes))
    # the corrected rows stay in the table with what was typed and the new result
    again = fix_table(ledger, after, fixes, columns)
    assert [(r[ROW_COLUMN], r[RESULT_COLUMN]) for r in again] == [
        (7, ACCEPTED),
        (10, "诉求内容太短（至少 2 个字）"),
        (12, ACCEPTED),
    ]
    assert again[0][titles[PHONE]] == "13900001111"
    # setting a cell back to the file's value is no correction
    edited[0][titles[PHONE]] = "电话停机"
    assert fixes_from_table(ledger, columns, edited, fixes) == {12: {STATUS: "已办结"}}


def test_corrected_rows_import_with_the_good_rows_and_say_so(
    sessions: sessionmaker[Session], world: World
) -> None:
    ledger = _csv()
    fixes = {7: {PHONE: "13900001111"}}
    with sessions() as s:
        preview = _preview(s, world, apply_fixes(ledger, fixes))
        preview = mark_corrected(preview, fixes, preview.mapping)
    outcome = run_import(
        sessions, rows=preview.new_rows, source_name="1月.csv", actor=staff_actor(world), now=NOW
    )
    assert outcome.imported == 4
    with sessions() as s:
        phones = set(s.scalars(select(Case.reporter_phone)))
        notes = [d for d in s.scalars(select(CaseEvent.data)) if d and CORRECTED_NOTE in d]
    assert "13900001111" in phones
    assert len(notes) == 1 and "电话停机" not in notes[0]  # field names only, no values


def _fix_cells(data: bytes, fixes: dict[int, dict[str, object]]) -> bytes:
    """Edit the downloaded workbook as a clerk would in Excel: sheet row → header → value."""
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    for row, cells in fixes.items():
        for header, value in cells.items():
            sheet.cell(row=row, column=headers.index(header) + 1, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_refused_rows_workbook_round_trips_and_imports_once(
    sessions: sessionmaker[Session], world: World
) -> None:
    actor = staff_actor(world)
    (ledger,) = read_ledgers(XLS.read_bytes(), XLS.name)
    with sessions() as s:
        preview = _preview(s, world, ledger)
    run_import(sessions, rows=preview.new_rows, source_name=XLS.name, actor=actor, now=NOW)
    data = refused_workbook([(ledger, preview)], preview.mapping)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["不能导入的行"]
    sheet = book.active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    assert headers[-2:] == ["拒绝原因", "原行号"]
    assert [r[-2:] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        (r.reason, r.row_number) for r in preview.refused
    ]
    assert sheet.cell(row=2, column=2).value == dt.datetime(2011, 1, 14)  # still a date cell
    # read back unfixed, the same rows are refused for the same reasons
    (refused,) = read_ledgers(data, "不能导入的行.xlsx")
    assert guess_mapping(refused.headers) == preview.mapping
    with sessions() as s:
        again = _preview(s, world, refused)
    assert [r.reasons for r in again.refused] == [r.reasons for r in preview.refused]
    assert [r.reasons[0] for r in again.refused][2] == f"办理状态「搁置」无法识别{STATUS_HINT}"
    fixed = _fix_cells(
        data,
        {
            2: {"反映人·联系电话": "13900001111"},
            3: {"诉求内容": "楼上漏水"},
            4: {"办理情况·办理状态": "办理中"},
        },
    )
    (ledger_fixed,) = read_ledgers(fixed, "不能导入的行（已改）.xlsx")
    with sessions() as s:
        first = _preview(s, world, ledger_fixed)
    assert not first.refused and len(first.new_rows) == 3
    outcome = run_import(
        sessions, rows=first.new_rows, source_name="改好.xlsx", actor=actor, now=NOW
    )
    assert outcome.imported == 3
    with sessions() as s:
        second = _preview(s, world, ledger_fixed)
        count = s.scalar(select(func.count()).select_from(Case))
    assert (len(second.new_rows), len(second.already_imported)) == (0, 3)
    assert count == 6 + 3
    outcome = run_import(
        sessions, rows=first.new_rows, source_name="改好.xlsx", actor=actor, now=NOW
    )
    assert (outcome.imported, outcome.skipped) == (0, 3)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 9


def test_an_unnamed_mapped_column_gets_its_field_as_header(session: Session, world: World) -> None:
    text = "受理时间,诉求内容,类别,,备注\n2026-03-02,噪音扰民,环境卫生,第9网格,夜间\n"
    (ledger,) = read_ledgers(text.encode("gbk"), "无名列.csv")
    mapping = {0: Field.ACCEPTED_AT, 1: Field.DESCRIPTION, 2: Field.CATEGORY, 3: Field.GRID_CELL}
    preview = _preview(session, world, ledger, mapping)
    assert len(preview.refused) == 1
    data = refused_workbook([(ledger, preview)], mapping)
    (back,) = read_ledgers(data, "不能导入的行.xlsx")
    # 网格 for the unnamed column; the unmapped 备注 is named so that no field takes it
    assert back.headers == ["受理时间", "诉求内容", "类别", "网格", "E列（未导入）", "拒绝原因", "原行号"]  # fmt: skip
    assert guess_mapping(back.headers) == mapping


def test_a_refused_cell_that_looks_like_a_formula_stays_text(
    session: Session, world: World
) -> None:
    text = '受理时间,诉求内容,类别,网格\n2026-03-02,"=HYPERLINK(""http://x"",""点我"")",环境卫生,第9网格\n'
    (ledger,) = read_ledgers(text.encode(), "公式.csv")
    preview = _preview(session, world, ledger)
    data = refused_workbook([(ledger, preview)], preview.mapping)
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    cell = sheet.cell(row=2, column=2)
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x","点我")', "s")
