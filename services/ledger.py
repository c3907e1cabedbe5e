"""民情台账 exports: the ledger's rows rendered as .xlsx or CSV (the rows come from the read layer).

``render_ledger`` is pure (rows → bytes); the rows are ``db.queries.ledger.export_rows``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from enum import StrEnum

from db.queries.ledger import (
    LEDGER_COLUMNS,
    LEDGER_HEADERS,
    LedgerRow,
)
from services.spreadsheet import (
    append_text_safe,
    csv_safe,
    filter_all,
    header_cells,
    new_sheet,
    streaming_book,
    workbook_bytes,
)

__all__ = [
    "EXPORT_MIME",
    "ExportFormat",
    "export_filename",
    "render_ledger",
]


class ExportFormat(StrEnum):
    """File formats of a ledger export."""

    XLSX = "xlsx"
    CSV = "csv"


EXPORT_MIME: dict[ExportFormat, str] = {
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.CSV: "text/csv",
}


def render_ledger(rows: Iterable[LedgerRow], fmt: ExportFormat | str = ExportFormat.XLSX) -> bytes:
    """Rows as .xlsx (frozen Chinese header, widths) or CSV (UTF-8 with BOM); formulas defused."""
    if ExportFormat(fmt) is ExportFormat.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(LEDGER_HEADERS)
        for row in rows:
            writer.writerow([csv_safe(getter(row)) for _, getter, _ in LEDGER_COLUMNS])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    book = streaming_book()
    sheet = new_sheet(
        book, "民情台账", widths=[width + 2 for _, _, width in LEDGER_COLUMNS], freeze="A2"
    )
    sheet.append(header_cells(sheet, LEDGER_HEADERS))
    count = 0
    for row in rows:
        append_text_safe(sheet, [getter(row) for _, getter, _ in LEDGER_COLUMNS])
        count += 1
    filter_all(sheet, len(LEDGER_COLUMNS), count)
    return workbook_bytes(book)


def export_filename(fmt: ExportFormat | str, now: dt.datetime) -> str:
    """「民情台账_20261122_1030.xlsx」."""
    return f"民情台账_{now:%Y%m%d_%H%M}.{ExportFormat(fmt).value}"
