"""审计日志 (admin, secretary): who did what, when, to which record; filters and export."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import pandas as pd
import streamlit as st

from config import local_now
from db.queries.audit import KINDS, audit_log
from domain.roles import PageKey
from services.spreadsheet import csv_safe
from ui.context import get_sessions, require_page
from ui.forms import label_of

COLUMNS = {
    "at": "时间",
    "username": "用户",
    "kind": "类别",
    "action": "操作",
    "target": "对象",
    "detail": "说明",
}


def render() -> None:
    """Draw the audit log page."""
    actor = require_page(PageKey.AUDIT)
    st.title("审计日志")
    today = local_now().date()
    c1, c2, c3 = st.columns([2, 1, 2])
    span = c1.date_input("日期范围", value=(today - dt.timedelta(days=7), today), key="audit_span")
    username = c2.text_input("用户名", key="audit_user").strip().lower() or None
    kinds = c3.multiselect(
        "类别",
        list(KINDS),
        default=list(KINDS),
        format_func=label_of(KINDS),
        key="audit_kinds",
        placeholder="请选择",
    )
    if not isinstance(span, tuple) or len(span) != 2:
        st.info("请选择起止日期。")
        return
    start = dt.datetime.combine(span[0], dt.time())
    end = dt.datetime.combine(span[1] + dt.timedelta(days=1), dt.time())
    with get_sessions()() as session:
        rows = audit_log(
            session, start=start, end=end, username=username, kinds=frozenset(kinds), actor=actor
        )
    frame = pd.DataFrame([asdict(r) for r in rows], columns=list(COLUMNS)).rename(columns=COLUMNS)
    st.caption(f"共 {len(frame)} 条（最多显示最近 1000 条）")
    st.dataframe(frame, hide_index=True, width="stretch")
    st.download_button(
        "导出 CSV",
        frame.map(csv_safe).to_csv(index=False).encode("utf-8-sig"),
        file_name=f"审计日志-{span[0]}-{span[1]}.csv",
        mime="text/csv",
    )


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
