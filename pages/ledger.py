"""民情台账: filters, server-side sorting and paging (50 a page), overdue rows highlighted, exports.

A row picked in the table (or the only match of a search) opens in 案件详情.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import partial

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from config import local_now
from db.queries.cases import assignable_users, category_choices
from db.queries.ledger import (
    EXPORT_LIMIT,
    PAGE_SIZE,
    SORT_LABELS,
    TEXT_COUNT_CAP,
    LedgerFilters,
    LedgerSort,
    export_rows,
    ledger_page,
    total_is_capped,
)
from db.queries.territory import grid_cell_choices
from domain.roles import Actor, PageKey
from domain.workflow import CaseStatus, Channel, HandlingType
from services.ledger import EXPORT_MIME, ExportFormat, export_filename, render_ledger
from ui.background import BackgroundJob, start_job
from ui.case_table import case_table
from ui.context import get_sessions, get_settings, require_page

BACKGROUND_ROWS = 5_000
"""Exports of more rows are built in a background thread (progress shown, the page stays usable)."""
JOB_KEY, JOB_FORMAT, JOB_SHOWN = (
    "_ledger_export_job",
    "_ledger_export_format",
    "_ledger_export_shown",
)

STATUS_OPTIONS = {status.value: status.label for status in CaseStatus}
"""Every status, in pipeline order (待街道签收 and 街道办理中 included)."""


def _filters(actor: Actor) -> tuple[LedgerFilters, LedgerSort]:
    """The filter widgets (outside a form: each change re-queries one page)."""
    with get_sessions()() as session:
        cells = grid_cell_choices(session, actor=actor)
        categories = category_choices(session)
        people = dict(assignable_users(session))
    channels = {c.value: c.label for c in Channel}
    types = {h.value: h.label for h in HandlingType}
    text = st.text_input(
        "搜索", placeholder="案件编号、诉求内容、反映人姓名或电话", key="lg_text", max_chars=50
    )
    with st.expander("筛选条件", expanded=False):
        a, b, c = st.columns(3)
        statuses = a.multiselect(
            "状态",
            list(STATUS_OPTIONS),
            format_func=STATUS_OPTIONS.__getitem__,
            key="lg_status",
            placeholder="请选择",
        )
        grid = b.multiselect(
            "网格", list(cells), format_func=cells.__getitem__, key="lg_cells", placeholder="请选择"
        )
        cats = c.multiselect(
            "类别",
            list(categories),
            format_func=categories.__getitem__,
            key="lg_cats",
            placeholder="请选择",
        )
        a, b, c = st.columns(3)
        chans = a.multiselect(
            "渠道",
            list(channels),
            format_func=channels.__getitem__,
            key="lg_channels",
            placeholder="请选择",
        )
        kinds = b.multiselect(
            "五件制",
            list(types),
            format_func=types.__getitem__,
            key="lg_types",
            placeholder="请选择",
        )
        assignee = c.selectbox(
            "承办人",
            list(people),
            format_func=people.__getitem__,
            index=None,
            key="lg_assignee",
            placeholder="请选择",
        )
        a, b, c = st.columns(3)
        dates = a.date_input("受理日期范围", value=[], format="YYYY-MM-DD", key="lg_dates")
        overdue = b.checkbox("只看逾期", key="lg_overdue")
        due_soon = c.checkbox("只看临期（一个工作日内到期）", key="lg_due_soon")
    sort = st.selectbox(
        "排序", list(SORT_LABELS), format_func=lambda s: SORT_LABELS[s], key="lg_sort"
    )
    chosen = list(dates) if isinstance(dates, list | tuple) else [dates]
    filters = LedgerFilters(
        statuses=tuple(statuses),
        overdue=overdue,
        due_soon=due_soon,
        grid_cell_ids=tuple(grid),
        category_ids=tuple(cats),
        channels=tuple(chans),
        handling_types=tuple(kinds),
        assignee_id=assignee,
        accepted_from=chosen[0] if chosen else None,
        accepted_to=chosen[1] if len(chosen) > 1 else (chosen[0] if chosen else None),
        text=text or "",
    )
    return filters, LedgerSort(sort)


def render() -> None:
    """Draw the ledger."""
    actor = require_page(PageKey.LEDGER)
    rules = get_settings().clock
    now = local_now()
    st.title("民情台账")
    filters, sort = _filters(actor)
    signature = (filters, sort)
    if st.session_state.get("_ledger_signature") != signature:
        st.session_state["_ledger_signature"] = signature
        st.session_state["lg_page"] = 1
    page = int(st.session_state.get("lg_page") or 1)
    sessions = get_sessions()
    with sessions() as session:
        rows, total = ledger_page(
            session,
            filters=filters,
            sort=sort,
            page=page,
            page_size=PAGE_SIZE,
            now=now,
            actor=actor,
            rules=rules,
        )
    capped = total_is_capped(filters, total)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if page > pages:  # the data shrank under the user: show the last page instead
        st.session_state["lg_page"] = page = pages
        with sessions() as session:
            rows, total = ledger_page(
                session, filters=filters, sort=sort, page=page, now=now, actor=actor, rules=rules
            )
    found = f"超过 {TEXT_COUNT_CAP:,} 件（请加筛选条件缩小范围）" if capped else f"共 {total:,} 件"
    st.caption(
        f"{found}，第 {page} / {pages}{'+' if capped else ''} 页（每页 {PAGE_SIZE} 件）。"
        "红色为逾期，黄色为一个工作日内到期。"
    )
    case_table(rows, key=f"lg_table_{page}")
    left, mid, right = st.columns([1, 1, 2])
    left.number_input("页码", min_value=1, max_value=pages, step=1, key="lg_page")

    _exports(filters, sort, actor, total=total, capped=capped, mid=mid, right=right)


def _exports(
    filters: LedgerFilters,
    sort: LedgerSort,
    actor: Actor,
    *,
    total: int,
    capped: bool,
    mid: DeltaGenerator,
    right: DeltaGenerator,
) -> None:
    """The export buttons: built on click for small exports, in the background for large ones."""
    rules = get_settings().clock
    now = local_now()
    sessions = get_sessions()
    rows_out = min(total, EXPORT_LIMIT)

    def export(fmt: ExportFormat, job: BackgroundJob | None = None) -> bytes:
        with sessions() as export_session:
            rows = export_rows(
                export_session, filters=filters, sort=sort, now=now, actor=actor, rules=rules
            )
            return render_ledger(job.counted(rows) if job else rows, fmt)

    if rows_out > BACKGROUND_ROWS or capped:
        key = (filters, sort)
        job = st.session_state.get(JOB_KEY)
        if isinstance(job, BackgroundJob) and job.key != key:
            job.cancel()  # made for other filters: drop it
            st.session_state.pop(JOB_KEY, None)
        for column, fmt, label in (
            (mid, ExportFormat.XLSX, "生成 Excel"),
            (right, ExportFormat.CSV, "生成 CSV"),
        ):
            if column.button(label, icon=":material/hourglass_top:", key=f"lg_make_{fmt}"):
                previous = st.session_state.get(JOB_KEY)
                if isinstance(previous, BackgroundJob):
                    previous.cancel()
                st.session_state[JOB_KEY] = start_job(
                    partial(export, fmt),
                    total=rows_out,
                    key=key,
                    name=f"ledger-export-{fmt}",
                )
                st.session_state[JOB_FORMAT] = fmt
        st.caption(
            f"导出较大（约 {rows_out:,} 件），将在后台生成，期间可继续使用；生成后在此下载。"
        )
        job = st.session_state.get(JOB_KEY)
        running = isinstance(job, BackgroundJob) and not job.finished
        st.fragment(run_every=1.0 if running else None)(_export_progress)(now)
    else:
        mid.download_button(
            "导出 Excel",
            data=lambda: export(ExportFormat.XLSX),
            file_name=export_filename(ExportFormat.XLSX, now),
            mime=EXPORT_MIME[ExportFormat.XLSX],
            icon=":material/download:",
        )
        right.download_button(
            "导出 CSV",
            data=lambda: export(ExportFormat.CSV),
            file_name=export_filename(ExportFormat.CSV, now),
            mime=EXPORT_MIME[ExportFormat.CSV],
            icon=":material/download:",
        )
    if total > EXPORT_LIMIT:
        st.caption(f"导出最多包含前 {EXPORT_LIMIT:,} 件，请先筛选缩小范围。")


def _export_progress(now: dt.datetime) -> None:
    """The background export's progress, then its download button (polled every second)."""
    job = st.session_state.get(JOB_KEY)
    if not isinstance(job, BackgroundJob):
        return
    fmt = ExportFormat(st.session_state.get(JOB_FORMAT, ExportFormat.XLSX))
    if not job.finished:
        st.progress(job.fraction, text=f"正在生成 {fmt.value.upper()}：已写入 {job.done:,} 件")
        return
    if st.session_state.get(JOB_SHOWN) != id(job):  # finished: one full rerun stops the polling
        st.session_state[JOB_SHOWN] = id(job)
        st.rerun(scope="app")
    if job.error or job.result is None:
        st.error(f"导出失败，请重试或缩小筛选范围（{job.error or '未生成文件'}）")
        return
    st.download_button(
        f"下载 {fmt.value.upper()}（{job.done:,} 件）",
        data=job.result,
        file_name=export_filename(fmt, now),
        mime=EXPORT_MIME[fmt],
        icon=":material/download:",
        type="primary",
        key="lg_download_ready",
    )


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
