"""首页: the meeting period's headline KPIs (走访次数, 解决率, 帮扶人次) of the user's unit (街道 or 社区)."""

from __future__ import annotations

import streamlit as st

from config import local_now
from db.queries.access import unit_scope
from db.queries.kpis import headline_kpis
from db.queries.territory import unit_name
from domain.kpis import COMPARISON_NOTE, KPIS
from domain.meeting import meeting_period
from domain.roles import PageKey
from ui.context import get_sessions, get_settings, require_page
from ui.headline import metric_arrow
from ui.setup_hint import setup_hint


def render() -> None:
    """Draw the landing page."""
    actor = require_page(PageKey.HOME)
    now = local_now()
    # Early in a month, the last complete month (MINQING_MEETING_MIN_DAYS), as on the deck.
    shown = meeting_period(now.date(), get_settings().meeting_min_days)
    period = shown.period
    scope = unit_scope(actor)
    with get_sessions()() as session:
        place = "全街道" if scope.community_id is None else unit_name(session, actor=actor)
        visits, resolution, persons = headline_kpis(session, period=period, scope=scope)
        before = headline_kpis(session, period=period.previous_same_length(), scope=scope)
    st.title("民情流水线")
    setup_hint(actor)
    st.caption(
        f"{actor.display_name}，您好。以下为 {shown.label} {place}数据（截至 {now:%Y-%m-%d %H:%M}）。"
    )
    visits_kpi, resolution_kpi, persons_kpi = (
        KPIS[k] for k in ("visits", "resolution", "assistance_persons")
    )
    c1, c2, c3 = st.columns(3)
    c1.metric(
        visits_kpi.label,
        f"{visits:,}",
        delta=f"{visits - before[0]:+,}（此前同期 {before[0]:,}）",
        delta_color="normal" if visits != before[0] else "off",
        delta_arrow=metric_arrow(visits - before[0]),
        help=visits_kpi.definition,
    )
    c2.metric(
        resolution_kpi.label,
        resolution.percent(),
        delta=f"{resolution.numerator:,} / {resolution.denominator:,} {resolution_kpi.unit}",
        delta_color="off",
        delta_arrow="off",  # a count, not a change
        help=resolution_kpi.definition,
    )
    c3.metric(
        persons_kpi.label,
        f"{persons:,}",
        delta=f"{persons - before[2]:+,}（此前同期 {before[2]:,}）",
        delta_color="normal" if persons != before[2] else "off",
        delta_arrow=metric_arrow(persons - before[2]),
        help=persons_kpi.definition,
    )
    st.caption(
        "；".join(f"{k.label}：{k.definition}" for k in (visits_kpi, resolution_kpi, persons_kpi))
        + f"。变化为{COMPARISON_NOTE}。"
    )


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
