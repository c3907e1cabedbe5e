"""工作日历 (admin): the holiday and 调休 table by year, and a new year's State Council notice."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from config import local_now
from db.queries.calendar import entered_rows
from domain.calendar import china_calendar, notice_days
from domain.roles import Actor, PageKey
from services.calendar import CalendarError, save_days, withdraw_day
from ui.context import get_sessions, require_page
from ui.work_calendar import refresh_calendar

WEEKDAYS = "一二三四五六日"


def _table(year: int, entered: set[dt.date]) -> pd.DataFrame:
    """The year's holidays and 调休 workdays in force, with where each comes from."""
    rows = [
        {
            "日期": day.isoformat(),
            "星期": f"周{WEEKDAYS[day.weekday()]}",
            "类型": "调休上班" if work else "放假",
            "节日": name,
            "来源": "管理员录入" if day in entered else "内置",
        }
        for day, work, name in china_calendar().year_table(year)
    ]
    return pd.DataFrame(rows, columns=["日期", "星期", "类型", "节日", "来源"])


def _notice_form(actor: Actor, year: int) -> None:
    """Enter one holiday of a notice: its name, first and last day off, up to two 调休 workdays."""
    with st.form("calendar_notice_form"):
        st.markdown("**录入国务院放假通知**（每个节日提交一次）")
        name = st.text_input("节日名称", key="cal_name", max_chars=40, placeholder="如：春节")
        c1, c2 = st.columns(2)
        first = c1.date_input("放假开始", value=dt.date(year, 1, 1), key="cal_first")
        last = c2.date_input("放假结束", value=dt.date(year, 1, 1), key="cal_last")
        c3, c4 = st.columns(2)
        work1 = c3.date_input("调休上班日（可空）", value=None, key="cal_work1")
        work2 = c4.date_input("调休上班日二（可空）", value=None, key="cal_work2")
        if not st.form_submit_button("保存放假安排"):
            return
    workdays = [d for d in (work1, work2) if isinstance(d, dt.date)]
    assert isinstance(first, dt.date) and isinstance(last, dt.date)
    days, errors = notice_days(name, first, last, workdays)
    if errors:
        for message in errors.values():
            st.error(message)
        return
    try:
        with get_sessions()() as session:
            count = save_days(session, actor=actor, days=days, now=local_now())
    except CalendarError as exc:
        st.error(str(exc))
        return
    refresh_calendar()
    st.session_state["cal_saved"] = f"已保存 {count} 天；此后计算的办理期限按新的日历执行"
    st.rerun()


def render() -> None:
    """Draw the calendar table and the notice form."""
    actor = require_page(PageKey.CALENDAR)
    st.title("工作日历")
    st.caption(
        "办理期限按工作日计算：周末、法定节假日不计，调休上班日计入。"
        "内置日历自 2004 年起；新一年的放假通知发布后、程序更新前，请在此录入。"
    )
    saved = st.session_state.pop("cal_saved", None)
    if saved:
        st.success(saved)
    today = local_now().date()
    years = list(range(today.year + 1, 2003, -1))
    year = st.selectbox("年份", years, index=years.index(today.year), key="cal_year")
    with get_sessions()() as session:
        entered = entered_rows(session, year=year)
    covered = year in china_calendar().covered_years
    if not covered:
        st.warning(f"{year} 年还没有放假安排：在录入前按周一至周五计算工作日。")
    table = _table(year, {e.day for e in entered})
    st.dataframe(table, hide_index=True, width="stretch")
    _notice_form(actor, year)
    if entered:
        with st.expander(f"撤销录入（{len(entered)} 天）"):
            chosen = st.selectbox(
                "录入的日期",
                [e.day for e in entered],
                format_func=lambda d: next(
                    f"{e.day.isoformat()} {e.name}{'（上班）' if e.is_workday else '（放假）'}"
                    f" · {e.entered_by}"
                    for e in entered
                    if e.day == d
                ),
                key="cal_withdraw_day",
            )
            if st.button("撤销该日", key="cal_withdraw"):
                with get_sessions()() as session:
                    withdraw_day(session, actor=actor, day=chosen, now=local_now())
                refresh_calendar()
                st.rerun()


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
