"""Safe spreadsheet cells: user text in an export must never become a formula.

A description such as ``=HYPERLINK("http://…","点我")`` would run as a formula when the export is
opened in Excel or WPS (CSV/formula injection). In .xlsx such text is stored as a text cell, so
it reads back exactly as typed; in CSV, which has no types, it gets a leading apostrophe (the
OWASP recommendation), which spreadsheet programs show as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """``value`` unchanged, unless it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def append_text_safe(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append a row; strings that look like formulas are stored as text cells."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"
