"""报表: the 月报 (.xlsx and PDF), the 公示 notice (PDF) and the ledger export, as downloads;
for the 街道 leader and the admin also the 街道 月报 (one line per 社区 and the 街道 total).

The page only draws; rows come from the read layer (``db.queries.reports``, ``comparison``,
``notices``) and the files from ``services.reports`` and ``services.ledger``.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlalchemy.orm import Session

from config import local_now
from db.queries.access import unit_scope
from db.queries.comparison import compares_communities, subdistrict_report
from db.queries.kpis import earliest_accepted
from db.queries.ledger import LedgerFilters, export_rows
from db.queries.notices import notices
from db.queries.reports import MonthlyReport, monthly_report
from db.queries.scope import Scope
from db.queries.territory import community_choices, grid_cell_choices
from domain.errors import OutOfScope
from domain.kpis import Period
from domain.roles import Actor, PageKey
from services.case_events import record_refusal
from services.ledger import EXPORT_MIME, ExportFormat, export_filename, render_ledger
from services.reports import (
    ReportError,
    monthly_report_pdf,
    monthly_report_xlsx,
    publicity_pdf,
    subdistrict_report_pdf,
    subdistrict_report_xlsx,
)
from ui.context import get_sessions, require_page

XLSX = EXPORT_MIME[ExportFormat.XLSX]
PDF = "application/pdf"
STATE = "reports"


def _months(today: dt.date, earliest: dt.date | None, count: int = 24) -> list[dt.date]:
    """The first days of this month and the months before it, newest first.

    Back to the earliest case's month (an imported 2011 ledger), and at least ``count`` months.
    """
    months: list[dt.date] = []
    year, month = today.year, today.month
    oldest = (earliest.year, earliest.month) if earliest is not None else (today.year, today.month)
    while len(months) < count or (year, month) >= oldest:
        months.append(dt.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


def _keep(name: str, data: bytes, filename: str) -> None:
    st.session_state[f"{STATE}_{name}"] = (data, filename)


def _download(name: str, label: str, mime: str) -> None:
    kept = st.session_state.get(f"{STATE}_{name}")
    if kept is not None:
        st.download_button(label, kept[0], file_name=kept[1], mime=mime, key=f"{STATE}_dl_{name}")


def _monthly(
    session: Session, actor: Actor, community_id: int, month: dt.date, now: dt.datetime
) -> MonthlyReport | None:
    """The 月报 of ``community_id``; a 社区 outside the actor's unit is refused and recorded."""
    try:
        return monthly_report(session, community_id=community_id, month=month, now=now, actor=actor)
    except OutOfScope as refused:
        record_refusal(session, actor, refused, "生成", now)
        raise


def render() -> None:
    """The reports page."""
    actor = require_page(PageKey.REPORTS)
    st.title("报表")
    now = local_now()
    with get_sessions()() as session:
        communities = community_choices(session, actor=actor)
        earliest = earliest_accepted(session, scope=unit_scope(actor))
    if not communities:
        st.info("还没有社区。")
        return
    community_id = st.selectbox("社区", list(communities), format_func=communities.__getitem__)
    month = st.selectbox(  # index 1: the last complete month (DOMAIN.md §6)
        "月份",
        _months(now.date(), earliest),
        index=1,
        format_func=lambda d: f"{d.year}年{d.month}月",
    )
    community = communities[community_id]
    compares = compares_communities(actor)
    tabs = st.tabs(["月报", "公示", "台账导出", *(["街道月报"] if compares else [])])
    monthly, notice, ledger = tabs[:3]
    if compares:
        with tabs[3]:
            _subdistrict_tab(month, now)
    with monthly:
        st.caption("各网格与社区合计的受理、解决、按期办结、响应、满意、逾期等指标，附图表。")
        if st.button("生成月报", key=f"{STATE}_monthly"):
            try:
                with st.spinner("正在生成月报…"), get_sessions()() as session:
                    report = _monthly(session, actor, community_id, month, now)
                    if report is None:
                        raise ReportError("社区不存在")
                    stem = f"{community}_月报_{month:%Y%m}"
                    _keep("monthly_xlsx", monthly_report_xlsx(report), f"{stem}.xlsx")
                    _keep("monthly_pdf", monthly_report_pdf(report), f"{stem}.pdf")
            except (ReportError, OutOfScope) as exc:
                st.error(str(exc))
        _download("monthly_xlsx", "下载月报（Excel）", XLSX)
        _download("monthly_pdf", "下载月报（PDF）", PDF)
    with notice:
        st.caption("本月办结的民情：类别、网格、办理情况、办理时长；不含姓名、电话、地址。")
        if st.button("生成公示", key=f"{STATE}_notice"):
            period = Period.month_of(month).up_to(now.date())
            try:
                with st.spinner("正在生成公示…"), get_sessions()() as session:
                    scope = unit_scope(actor, Scope(community_id=community_id))
                    items = notices(session, period=period, scope=scope, limit=500)
                    data = publicity_pdf(community, period, items)
                _keep("notice_pdf", data, f"{community}_公示_{month:%Y%m}.pdf")
            except ReportError as exc:
                st.error(str(exc))
        _download("notice_pdf", "下载公示（PDF，可打印）", PDF)
    with ledger:
        st.caption("按网格和受理月份导出台账（更多筛选请在「民情台账」页导出）。")
        with get_sessions()() as session:
            cells = grid_cell_choices(session, actor=actor)
        chosen = st.multiselect(
            "网格", list(cells), format_func=cells.__getitem__, placeholder="请选择"
        )
        if st.button("导出本月台账", key=f"{STATE}_ledger"):
            end = Period.month_of(month).end.date() - dt.timedelta(days=1)
            filters = LedgerFilters(
                grid_cell_ids=tuple(chosen), accepted_from=month, accepted_to=end
            )
            with get_sessions()() as session:
                data = render_ledger(
                    export_rows(session, filters=filters, now=now, actor=actor), ExportFormat.XLSX
                )
            _keep("ledger_xlsx", data, export_filename(ExportFormat.XLSX, now))
        _download("ledger_xlsx", "下载台账（Excel）", XLSX)


def _subdistrict_tab(month: dt.date, now: dt.datetime) -> None:
    """The 街道 月报: one line per 社区 and the 街道 total (the 街道 leader and the admin only)."""
    st.caption(
        "各社区与街道合计的受理、解决、按期办结、满意、逾期、走访覆盖、帮扶等指标，附指标说明。"
    )
    if st.button("生成街道月报", key=f"{STATE}_subdistrict"):
        try:
            with st.spinner("正在生成街道月报…"), get_sessions()() as session:
                report = subdistrict_report(session, month=month, now=now)
            stem = f"{report.subdistrict}_各社区月报_{month:%Y%m}"
            _keep("subdistrict_xlsx", subdistrict_report_xlsx(report), f"{stem}.xlsx")
            _keep("subdistrict_pdf", subdistrict_report_pdf(report), f"{stem}.pdf")
        except ReportError as exc:
            st.error(str(exc))
    _download("subdistrict_xlsx", "下载街道月报（Excel）", XLSX)
    _download("subdistrict_pdf", "下载街道月报（PDF）", PDF)


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
