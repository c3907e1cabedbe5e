"""The case table of the ledger and the to-do lists: highlighted rows, a link to the picked case."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from db.queries.ledger import LedgerRow, row_record
from ui.links import case_link

HIGHLIGHT = {"逾期": "background-color: #fde2e1", "临期": "background-color: #fff4ce"}
SHOWN_DESCRIPTION = 20
"""Characters of 诉求内容 a list shows (then 「…」): the whole text is on the case page."""
SCREEN_ORDER = ("案件编号", "提示", "状态", "办结期限", "诉求内容", "网格", "反映人", "联系电话")
"""What a user looks for first; the rest follow in the exports' order. The exports keep
``LEDGER_COLUMNS``' order so that their letters stay put."""
WIDTHS = {"案件编号": 116, "提示": 45, "状态": 72, "办结期限": 86, "诉求内容": 190}
"""Pixels: with the tick column (32 px) the four key columns fit a 390 px phone's table
(358 px) and 诉求内容 begins at its edge (tests/browser/test_phone.py)."""


def clip(text: str, limit: int = SHOWN_DESCRIPTION) -> str:
    """``text`` cut to ``limit`` characters, 「…」 marking a cut."""
    return text if len(text) <= limit else text[:limit] + "…"


def screen_columns(headers: Sequence[str]) -> list[str]:
    """``headers`` with the ``SCREEN_ORDER`` ones first."""
    first = [h for h in SCREEN_ORDER if h in headers]
    return first + [h for h in headers if h not in first]


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
    frame["诉求内容"] = frame["诉求内容"].map(clip)
    frame["办结期限"] = frame["办结期限"].map(lambda v: str(v)[:10])  # the day; time on the case
    frame = frame[screen_columns(list(frame.columns))]
    event = st.dataframe(
        _styled(frame),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        column_config={h: st.column_config.Column(width=w) for h, w in WIDTHS.items()},
    )
    picked_case_link(event, [(r.id, r.case_no) for r in rows])


def picked_case_link(event: object, cases: Sequence[tuple[int, str]]) -> None:
    """Below a selectable table of ``cases`` (id, 编号): a same-tab link to the ticked one."""
    try:
        picked = list(event.selection.rows)  # type: ignore[attr-defined]
    except AttributeError:
        picked = []
    if len(cases) == 1:
        picked = [0]
    if picked and picked[0] < len(cases):
        case_id, case_no = cases[picked[0]]
        case_link(case_id, f"打开案件 {case_no}")
    else:
        st.caption("勾选表格左侧的方框，表格下方即出现打开该案件的链接。")
