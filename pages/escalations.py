"""上报与转办: the 街道 staff's queue (待签收, 街道办理中), cases waiting for an outside unit's 回单,
the 回单 sheet of 上级转办 cases for a period, and the directory of outside units (admin edits).

A 社区 sees its own cases here (the 街道's progress on them); the 街道 sees every 社区's.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from config import local_now
from db.queries.escalations import QueueKind, outside_units, queue, queue_counts, reply_sheet_rows
from domain.errors import CaseError
from domain.roles import PageKey, Role
from domain.workflow import Level
from services.outside_units import OUTSIDE_LEVELS, save_outside_unit
from services.reply_sheet import render_reply_sheet
from ui.case_table import case_table
from ui.context import get_sessions, get_settings, require_page
from ui.forms import show_field_error

LIST_LIMIT = 200


def _directory(is_admin: bool) -> None:
    with get_sessions()() as session:
        units = outside_units(session)
    if units:
        frame = pd.DataFrame(
            [
                {
                    "单位": u.name,
                    "层级": u.level.label,
                    "联系方式": u.contact,
                    "一般办理时限（工作日）": u.typical_days,
                    "状态": "在用" if u.is_active else "停用",
                }
                for u in units
            ]
        )
        st.dataframe(frame, hide_index=True, width="stretch")
    else:
        st.info("名录中还没有外部单位。")
    if not is_admin:
        return
    errors: dict[str, str] = st.session_state.get("outside_unit_errors", {})
    with st.form("outside_unit_form", clear_on_submit=False, enter_to_submit=False):
        st.markdown("**新增外部单位**")
        name = st.text_input("单位名称", max_chars=60, key="ou_name")
        show_field_error(errors, "name")
        level = st.selectbox(
            "层级", [lv.value for lv in OUTSIDE_LEVELS], format_func=lambda v: Level(v).label,
            key="ou_level",
        )  # fmt: skip
        show_field_error(errors, "level")
        contact = st.text_input("联系方式", max_chars=100, key="ou_contact")
        show_field_error(errors, "contact")
        days = st.number_input(
            "一般办理时限（工作日）", min_value=0, value=10, step=1, key="ou_days"
        )
        show_field_error(errors, "typical_days")
        submitted = st.form_submit_button("保存", type="primary")
    if submitted:
        actor = require_page(PageKey.ESCALATIONS)
        try:
            with get_sessions()() as session:
                save_outside_unit(
                    session, actor=actor, name=name, level=level, contact=contact,
                    typical_days=int(days), now=local_now(),
                )  # fmt: skip
        except CaseError as exc:
            st.session_state["outside_unit_errors"] = getattr(exc, "errors", {"name": str(exc)})
            st.rerun()
        st.session_state.pop("outside_unit_errors", None)
        st.success(f"已保存外部单位「{name.strip()}」。")


def render() -> None:
    """Draw the queue, the 回单 export and the directory."""
    actor = require_page(PageKey.ESCALATIONS)
    now = local_now()
    rules = get_settings().clock
    with get_sessions()() as session:
        counts = queue_counts(session, actor=actor)
        lists = {
            kind: queue(session, kind=kind, actor=actor, now=now, rules=rules, limit=LIST_LIMIT)
            for kind in QueueKind
        }
    st.title("街道待办" if actor.role is Role.SUBDISTRICT_STAFF else "上报与转办")
    st.caption(
        "上报街道的案件由街道工作人员签收办理或退回社区；上报区、上级部门、12345 的案件在收到回单后录入。"
    )
    names = [f"{kind.label}（{counts[kind]}）" for kind in QueueKind]
    *queue_tabs, reply_tab, directory_tab = st.tabs([*names, "回单导出", "外部单位名录"])
    for tab, kind in zip(queue_tabs, QueueKind, strict=True):
        with tab:
            case_table(lists[kind], key=f"queue_{kind.value}")
    with reply_tab:
        st.caption("上级转办（12345、街道转来）的案件在所选期间办结的，按上级系统的回单格式导出。")
        today = now.date()
        left, right = st.columns(2)
        start = left.date_input("办结日期自", value=today.replace(day=1), key="reply_start")
        end = right.date_input("至", value=today, key="reply_end")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if end < start:
                st.error("结束日期不能早于开始日期。")
            else:
                with get_sessions()() as session:
                    rows = reply_sheet_rows(session, actor=actor, start=start, end=end)
                st.caption(f"共 {len(rows)} 件。")
                st.download_button(
                    "下载回单（.xlsx）", render_reply_sheet(rows),
                    file_name=f"回单_{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )  # fmt: skip
    with directory_tab:
        _directory(actor.role is Role.ADMIN)


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
