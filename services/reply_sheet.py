"""The 回单 sheet (.xlsx) answering 上级转办 cases back to 12345 or the 街道: a pure renderer.

The rows come from ``db.queries.escalations.reply_sheet_rows``; nothing here queries.
"""

from __future__ import annotations

from collections.abc import Sequence

from db.queries.escalations import ReplyRow
from services.spreadsheet import append_text_safe, new_sheet, streaming_book, workbook_bytes

REPLY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("工单号", 22),
    ("案件编号", 16),
    ("办理情况", 60),
    ("办结时间", 18),
    ("办理人", 12),
    ("满意度", 10),
)
"""(header, width in characters) of the 回单 sheet."""


def render_reply_sheet(rows: Sequence[ReplyRow], *, title: str = "回单") -> bytes:
    """The 回单 workbook: one line per forwarded case, in the upper system's columns."""
    book = streaming_book()
    sheet = new_sheet(book, title, widths=[width for _, width in REPLY_COLUMNS], freeze="A2")
    sheet.append([header for header, _ in REPLY_COLUMNS])
    for row in rows:
        append_text_safe(
            sheet,
            [
                row.external_no,
                row.case_no,
                row.result,
                row.finished_at.strftime("%Y-%m-%d %H:%M"),
                row.handler,
                row.satisfaction,
            ],
        )
    return workbook_bytes(book)
