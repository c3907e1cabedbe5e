"""台账导入's refused rows: corrected in place before importing, or downloaded, fixed and re-imported.

In the preview the clerk edits a refused row's cells as text (``fix_table``); the typed texts
(``Fixes``: sheet row number → column → text) replace those cells (``apply_fixes``), and the
corrected ledger is parsed again exactly as the file was (``db.queries.imports.preview_import``),
so a corrected row is checked by the same rules and imports with the good rows.

``refused_workbook`` writes the refused rows as an .xlsx — their cells as read (or as corrected),
one Chinese header per column, and the reasons in 「拒绝原因」 — that imports on its own once
fixed: its headers map to the same fields, and fingerprints make a second import add nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from db.queries.imports import ImportPreview
from domain.ledger_import import (
    ColumnMapping,
    LedgerFile,
    clean_text,
    column_letter,
    guess_mapping,
)
from services.spreadsheet import append_text_safe

Fixes = dict[int, dict[int, str]]
"""Sheet row number → column index → the text the clerk typed into that cell."""

ROW_COLUMN = "行号"
RESULT_COLUMN = "检查结果"
REASON_HEADER = "拒绝原因"
SHEET_HEADER = "原工作表"
ROW_HEADER = "原行号"
ACCEPTED = "✓ 可导入"
ALREADY = "✓ 此前已导入（将跳过）"
CORRECTED_NOTE = "导入前在预览中更正了："


def cell_text(value: object) -> str:
    """A cell as the clerk would type it: dates as 2011-01-05 (with the time if any), whole
    numbers without 「.0」 (a phone read as a number), everything else as text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d}" if value.time() == dt.time() else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(value)


def _cell(cells: Sequence[object], index: int) -> object:
    return cells[index] if index < len(cells) else None


def shown_columns(ledger: LedgerFile, mapping: ColumnMapping) -> list[tuple[int, str]]:
    """(column index, title) of the columns the editor shows: mapped or named, in sheet order.

    Titles are unique: 「C 反映人·联系电话」, 「D（无列名）」.
    """
    width = max([len(ledger.headers), *(i + 1 for i in mapping)])
    columns = []
    for index in range(width):
        header = ledger.headers[index] if index < len(ledger.headers) else ""
        if index in mapping or header:
            columns.append((index, f"{column_letter(index)} {header or '（无列名）'}"))
    return columns


def fix_table(
    original: LedgerFile,
    preview: ImportPreview,
    fixes: Mapping[int, Mapping[int, str]],
    columns: Sequence[tuple[int, str]],
) -> list[dict[str, Any]]:
    """The editor's rows: every refused row and every row already corrected, with its cells
    (as corrected so far) and what the last check said (the reasons, or that it now imports)."""
    refused = {r.row_number: r.reason for r in preview.refused}
    already = {r.row_number for r in preview.already_imported}
    raw = dict(original.rows)
    table = []
    for number in sorted(set(refused) | set(fixes)):
        if number not in raw:
            continue
        typed = fixes.get(number, {})
        result = refused.get(number) or (ALREADY if number in already else ACCEPTED)
        row: dict[str, Any] = {ROW_COLUMN: number, RESULT_COLUMN: result}
        for index, title in columns:
            row[title] = typed.get(index, cell_text(_cell(raw[number], index)))
        table.append(row)
    return table


def fixes_from_table(
    original: LedgerFile,
    columns: Sequence[tuple[int, str]],
    edited: Sequence[Mapping[str, Any]],
    before: Mapping[int, Mapping[int, str]],
) -> Fixes:
    """The corrections after an edit: every cell of the edited rows that differs from the file.

    A cell set back to what the file holds is no correction; rows not in ``edited`` keep
    their corrections from ``before``.
    """
    raw = dict(original.rows)
    shown = {int(row[ROW_COLUMN]) for row in edited}
    fixes: Fixes = {n: dict(cells) for n, cells in before.items() if n not in shown}
    for row in edited:
        number = int(row[ROW_COLUMN])
        for index, title in columns:
            value = row.get(title)
            typed = "" if value is None or value != value else str(value).strip()  # NaN: empty
            if typed != cell_text(_cell(raw[number], index)):
                fixes.setdefault(number, {})[index] = typed
    return fixes


def apply_fixes(ledger: LedgerFile, fixes: Mapping[int, Mapping[int, str]]) -> LedgerFile:
    """The ledger with the typed texts in place of the corrected cells (an emptied cell: None)."""
    if not fixes:
        return ledger
    rows = []
    for number, cells in ledger.rows:
        typed = fixes.get(number)
        if typed:
            width = max([len(cells), *(i + 1 for i in typed)])
            new = [_cell(cells, i) for i in range(width)]
            for index, text in typed.items():
                new[index] = text or None
            cells = new
        rows.append((number, cells))
    return dataclasses.replace(ledger, rows=rows)


def mark_corrected(
    preview: ImportPreview, fixes: Mapping[int, Mapping[int, str]], mapping: ColumnMapping
) -> ImportPreview:
    """The preview with a note on each corrected row that imports: which fields were corrected
    (names only, no values: the note is kept in the import event)."""
    if not fixes:
        return preview

    def noted(rows: list[Any]) -> list[Any]:
        out = []
        for row in rows:
            typed = fixes.get(row.row_number)
            if typed:
                names = "、".join(
                    mapping[i].label if i in mapping else f"{column_letter(i)} 列" for i in typed
                )
                row = dataclasses.replace(row, warnings=(*row.warnings, CORRECTED_NOTE + names))
            out.append(row)
        return out

    return dataclasses.replace(
        preview,
        new_rows=noted(preview.new_rows),
        already_imported=noted(preview.already_imported),
    )


def recheck_summary(
    preview: ImportPreview, rechecked: Sequence[int]
) -> tuple[list[int], list[int]]:
    """(rows now accepted, rows still refused) among the ``rechecked`` row numbers."""
    refused = {r.row_number for r in preview.refused}
    return (
        [n for n in rechecked if n not in refused],
        [n for n in rechecked if n in refused],
    )


# ---------------------------------------------------------------------------------------------
# The refused rows as a workbook


def _headers(
    ledger: LedgerFile, mapping: ColumnMapping, columns: Sequence[int], extra: Sequence[str]
) -> list[str]:
    """One header per column that maps back to the same field on re-import.

    The file's own header when it alone guesses the clerk's mapping, else the field's name
    (an unnamed column mapped to 网格 becomes 「网格」); an unmapped column is named so that
    no field takes it.
    """

    def unmapped(index: int) -> str:
        return f"{column_letter(index)}列（未导入）"

    headers = [ledger.headers[i] if i < len(ledger.headers) else "" for i in columns]
    headers = [h or (mapping[i].label if i in mapping else unmapped(i)) for h, i in zip(headers, columns, strict=True)]  # fmt: skip
    for _attempt in range(2):
        guessed = guess_mapping([*headers, *extra])
        wrong = [
            position
            for position, index in enumerate(columns)
            if guessed.get(position) is not mapping.get(index)
        ]
        if not wrong and len(guessed) == len(mapping):
            return headers
        for position in wrong:
            index = columns[position]
            headers[position] = mapping[index].label if index in mapping else unmapped(index)
    return [mapping[i].label if i in mapping else unmapped(i) for i in columns]


def refused_workbook(
    parts: Sequence[tuple[LedgerFile, ImportPreview]], mapping: ColumnMapping
) -> bytes:
    """The refused rows of every sheet as one .xlsx: their cells, 拒绝原因, 原行号 (and
    原工作表 when several sheets were read). Fixed and uploaded, it imports on its own."""
    first = parts[0][0]
    columns = [i for i, _ in shown_columns(first, mapping)]
    several = len(parts) > 1
    extra = [REASON_HEADER, *([SHEET_HEADER] if several else []), ROW_HEADER]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "不能导入的行"
    append_text_safe(sheet, [*_headers(first, mapping, columns, extra), *extra])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for ledger, preview in parts:
        raw = dict(ledger.rows)
        for refused in preview.refused:
            cells = raw[refused.row_number]
            values = [_export(_cell(cells, i)) for i in columns]
            where = [ledger.sheet] if several else []
            append_text_safe(sheet, [*values, refused.reason, *where, refused.row_number])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = (
                        "yyyy-mm-dd" if cell.value.time() == dt.time() else "yyyy-mm-dd hh:mm"
                    )
    reason_column = column_letter(len(columns))
    sheet.column_dimensions[reason_column].width = 60
    for cell in sheet[reason_column]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _export(value: object) -> object:
    """A cell for the refused workbook: dates and numbers as cells, whole floats as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime | dt.date | int | float):
        return value
    return clean_text(value) or None
