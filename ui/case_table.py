"""The case table of the ledger and the to-do lists: highlighted rows, a link to the picked case."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from db.queries.ledger import LedgerRow, row_record
from ui.links import case_link

HIGHLIGHT = {"逾期": "background-color: #fde2e1", "临期": "background-color: #fff4ce"}
SHOWN_DESCRIPTION = 40


def _styled(frame: pd.DataFrame) -> Styler:
    """Overdue rows red, due-soon rows yellow (by the 提示 column)."""

    def colour(row: pd.Series) -> list[str]:
        return [HIGHLIGHT.get(row["提示"], "")] * len(row)

    return frame.style.apply(colour, axis=1)


def case_table(rows: Sequence[LedgerRow], *, key: str) -> None:
    """A table of cases with highlighted rows; the picked row (or a single row) gets a link."""
    if not rows:
        st.info("没有符合条件的案件。")
        return
    frame = pd.DataFrame([row_record(r) for r in rows])
    frame["诉求内容"] = frame["诉求内容"].str.slice(0, SHOWN_DESCRIPTION)
    event = st.dataframe(
        _styled(frame),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=key,
    )
    picked = list(event.selection.rows) if event is not None else []
    if len(rows) == 1:
        picked = [0]
    if picked and picked[0] < len(rows):
        row = rows[picked[0]]
        case_link(row.id, f"打开案件 {row.case_no}")
    else:
        st.caption("勾选表格左侧的方框，表格下方即出现打开该案件的链接。")
