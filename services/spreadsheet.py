"""Safe, streamed spreadsheet export: user text never becomes a formula, rows cost O(1) each.

A description such as ``=HYPERLINK("http://…","点我")`` would run as a formula when the export is
opened in Excel or WPS (CSV/formula injection). In .xlsx such text is stored as a text cell, so
it reads back exactly as typed; in CSV, which has no types, it gets a leading apostrophe (the
OWASP recommendation), which spreadsheet programs show as text.

Every .xlsx export is written with openpyxl's write-only mode (``streaming_book``): each row is
serialised as it is appended, so an export of N rows takes time linear in N and memory that does
not grow with it (an ordinary workbook re-read ``max_row`` per appended row: quadratic). In that
mode column widths, frozen panes and the sheet's layout must be set before the first row, styles
go on ``header_cells``, and the auto-filter range is set when the row count is known.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = "DDEBF7"
"""The light blue of every export's header row."""

AnySheet: TypeAlias = Worksheet | WriteOnlyWorksheet


def csv_safe(value: Any) -> Any:
    """``value`` unchanged, unless it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def streaming_book() -> Workbook:
    """An empty write-only workbook (add sheets with ``book.create_sheet(title)``)."""
    return Workbook(write_only=True)


def new_sheet(
    book: Workbook,
    title: str,
    *,
    widths: Sequence[float] = (),
    freeze: str | None = None,
) -> WriteOnlyWorksheet:
    """A write-only sheet with column widths (A, B, … in characters) and frozen panes set."""
    sheet = book.create_sheet(title[:31])
    assert isinstance(sheet, WriteOnlyWorksheet)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if freeze:
        sheet.freeze_panes = freeze
    return sheet


def styled_cells(
    sheet: AnySheet,
    values: Iterable[Any],
    *,
    bold: bool = True,
    fill: str | None = HEADER_FILL,
    size: float | None = None,
    centred: bool = False,
) -> list[Any]:
    """``values`` as styled cells for one appended row (a header by default)."""
    font = Font(bold=bold, size=size) if size else Font(bold=bold)
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = font
        if fill:
            cell.fill = PatternFill("solid", fgColor=fill)
        if centred:
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cells.append(cell)
    return cells


def header_cells(sheet: AnySheet, headers: Iterable[str]) -> list[Any]:
    """The header row of an export: bold on light blue."""
    return styled_cells(sheet, headers)


def text_safe(sheet: AnySheet, values: Iterable[Any]) -> list[Any]:
    """One row's values; strings openpyxl would store as formulas become text cells."""
    row: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.startswith("=") and len(value) > 1:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            row.append(cell)
        else:
            row.append(value)
    return row


def append_text_safe(sheet: AnySheet, values: Iterable[Any]) -> None:
    """Append a row in O(1); strings that look like formulas are stored as text cells."""
    sheet.append(text_safe(sheet, values))


def filter_all(sheet: WriteOnlyWorksheet, columns: int, rows: int) -> None:
    """An auto-filter over the header and ``rows`` data rows (call before saving)."""
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(columns, 1))}{rows + 1}"


def workbook_bytes(book: Workbook) -> bytes:
    """The saved workbook (a write-only workbook can be saved once)."""
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
