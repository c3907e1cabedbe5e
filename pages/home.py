"""首页: this month's headline KPIs (走访次数, 解决率, 帮扶人次) for the user's community."""

from __future__ import annotations

import streamlit as st

from config import local_now
from db.queries.kpis import Scope, headline_kpis
from domain.kpis import Period
from domain.roles import PageKey
from ui.context import get_sessions, require_page


def render() -> None:
    """Draw the landing page."""
    actor = require_page(PageKey.HOME)
    now = local_now()
    period = Period.month_of(now.date())
    with get_sessions()() as session:
        visits, resolution, persons = headline_kpis(session, period=period, scope=Scope())
        previous = headline_kpis(session, period=period.previous(), scope=Scope())
    st.title("民情流水线")
    st.caption(
        f"{actor.display_name}，您好。以下为 {now:%Y年%-m月} 全街道数据（截至 {now:%Y-%m-%d %H:%M}）。"
    )
    c1, c2, c3 = st.columns(3)
    c1.metric("走访次数", f"{visits:,}", delta=f"上月 {previous[0]:,}", delta_color="off")
    c2.metric(
        "解决率",
        resolution.percent(),
        delta=f"{resolution.numerator:,} / {resolution.denominator:,} 件",
        delta_color="off",
    )
    c3.metric("帮扶人次", f"{persons:,}", delta=f"上月 {previous[2]:,}", delta_color="off")
    st.caption(
        "解决率 = 本月受理且已办结或已答复的件数 ÷ 本月受理件数（不含退回件和合并的重复件）。"
    )


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
