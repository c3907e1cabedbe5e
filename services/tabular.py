"""Reading uploaded tables: .xlsx/.xlsm/.xls/.ods through python-calamine, .csv in UTF-8 or GBK.

Every sheet is returned (a roster or a ledger may sit on any of them; ``填表说明`` sheets are the
caller's to skip). CSV is decoded strictly: UTF-8 (with or without BOM), else GB18030 — a
superset of GBK, which is what Excel in China saves.
"""

from __future__ import annotations

import csv
import io
from typing import Any

MAX_FILE_BYTES = 50 * 1024 * 1024
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_SUFFIXES = (".csv", ".txt")


class TableFileError(ValueError):
    """A file that cannot be read as a table; the message is Chinese."""


Sheet = tuple[str, list[list[object]]]
"""A sheet's name and its rows of cell values."""


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK), as Excel in China writes."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableFileError("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK")


def csv_rows(data: bytes) -> list[list[object]]:
    """The rows of a CSV file (comma, tab or semicolon separated)."""
    text = decode_text(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def _calamine_sheets(data: bytes) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets: list[Sheet] = []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            rows = [list(row) for row in sheet.to_python(skip_empty_area=False)]
            sheets.append((name, [[None if v == "" else v for v in row] for row in rows]))
    except Exception as exc:  # calamine raises its own kinds for damaged or foreign files
        raise TableFileError(
            "无法读取该表格文件，请确认是 Excel（.xlsx/.xls）或 WPS/ODS 表格"
        ) from exc
    return sheets


def read_sheets(data: bytes, filename: str) -> list[Sheet]:
    """Every sheet of an uploaded spreadsheet or CSV file, as rows of values."""
    if len(data) > MAX_FILE_BYTES:
        raise TableFileError(f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请分批导入")
    name = filename.lower()
    if name.endswith(SHEET_SUFFIXES):
        return _calamine_sheets(data)
    if name.endswith(CSV_SUFFIXES):
        return [(filename, csv_rows(data))]
    raise TableFileError("只支持 .xlsx、.xls、.ods 和 .csv 文件")
