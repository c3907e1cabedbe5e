"""会议大屏: the projector deck — headline KPIs, grid map, trends, ranking, levels, 公示.

Reached by the viewer login, or ``?mode=present`` for a secretary/admin (``app.py``). The slide
fragment re-checks the clock every second (``domain.slides``) and redraws only itself, so data
refreshes without a page reload. Everything shown is anonymised (``db.queries.present``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from config import local_now
from db.queries.present import Deck, present_deck
from db.queries.territory import unit_name
from domain.kpis import Period
from domain.meeting import (
    MeetingPeriod,
    PeriodChoice,
    default_choice,
    meeting_period,
    picked_period,
    recent_months,
)
from domain.roles import Actor, PageKey, Role
from domain.slides import SLIDE_ORDER, SlideKind, SlideShow, deck_title, tick_seconds
from ui.context import get_sessions, get_settings, require_page
from ui.headline import headline_tiles, metric_arrow
from ui.present_style import FULLSCREEN_CSS, INAPP_CSS, PRESENT_CSS
from ui.slide_charts import (
    SCREEN,
    cell_label,
    levels_figure,
    map_figure,
    ranking_figure,
    slide_subtitle,
    trend_figure,
)
from ui.text import escape_markdown

SHOW_KEY = "present_show"
HANDOUT_KEY = "present_handout"
PERIOD_KEY = "present_period"
MONTH_KEY = "present_month"
CHART_HEIGHT = 780
_PLOTLY_CONFIG = {"displayModeBar": False, "scrollZoom": False, "responsive": True}


def render() -> None:
    """Draw the projector page."""
    actor = require_page(PageKey.PRESENT)
    fullscreen = actor.role is Role.VIEWER or st.query_params.get("mode") == "present"
    # Static CSS constants only, never data.
    st.markdown(PRESENT_CSS, unsafe_allow_html=True)
    st.markdown(FULLSCREEN_CSS if fullscreen else INAPP_CSS, unsafe_allow_html=True)
    settings = get_settings()
    with get_sessions()() as session:
        place = unit_name(session, actor=actor)
    today = local_now().date()
    title = deck_title(settings.present_title, f"{place}民情工作汇报", today)
    if actor.role is Role.VIEWER:
        _title(title)
    else:
        left, right = st.columns([5, 1], vertical_alignment="center")
        with left:
            _title(title)
    if fullscreen:
        # The wall follows the rule; only the in-app deck lets the secretary pick.
        meeting = meeting_period(today, settings.meeting_min_days)
    else:
        meeting = _period_picker(today, settings.meeting_min_days)
    if actor.role is not Role.VIEWER:
        with right:  # drawn after the picker: the handout is of the picked period
            _handout_fragment(actor, settings.rank_min_cases, title, meeting.period)
            if not fullscreen:
                st.link_button("全屏放映", "?mode=present", width="stretch")
    exit_button = fullscreen and actor.role is not Role.VIEWER
    _deck_fragment(
        actor, settings.slide_seconds, settings.rank_min_cases, meeting.period, exit_button
    )


def _title(title: str) -> None:
    with st.container(key="present-title"):
        st.title(escape_markdown(title), anchor=False)


def _period_picker(today: dt.date, min_days: int) -> MeetingPeriod:
    """The secretary's choice of the meeting's period (preselected by the rule), and its label."""
    choices = list(PeriodChoice)
    default = default_choice(today, min_days)
    with st.container(key="present-period"):
        left, right, label = st.columns([3, 1.4, 2.6], vertical_alignment="bottom")
        choice = left.radio(
            "汇报期间",
            choices,
            index=choices.index(default),
            format_func=lambda c: c.label,
            horizontal=True,
            key=PERIOD_KEY,
        )
        month = None
        if choice is PeriodChoice.MONTH:
            month = right.selectbox(
                "月份",
                recent_months(today),
                format_func=lambda d: f"{d.year}年{d.month}月",
                key=MONTH_KEY,
            )
        picked = picked_period(choice, today, month)
        label.markdown(f"**显示：{escape_markdown(picked.label)}**")
    return picked


def load_deck(actor: Actor, min_cases: int, period: Period | None = None) -> Deck:
    """The deck's data of the actor's unit at this moment (cached aggregates; exact after any write)."""
    with get_sessions()() as session:
        return present_deck(
            session, actor=actor, now=local_now(), min_cases=min_cases, period=period
        )


def slide_show(interval: int) -> SlideShow:
    """This session's slide show, started on first use (or when the interval changed)."""
    show = st.session_state.get(SHOW_KEY)
    if not isinstance(show, SlideShow) or show.interval != interval:
        show = SlideShow.start(count=len(SLIDE_ORDER), interval=interval, now=local_now())
        st.session_state[SHOW_KEY] = show
    return show


def _step(action: str) -> None:
    """Button callback: go back, go on or pause/resume at the moment of the click."""
    show: SlideShow = st.session_state[SHOW_KEY]
    now = local_now()
    moves = {"previous": show.previous, "next": show.next, "toggle": show.toggle}
    st.session_state[SHOW_KEY] = moves[action](now)


def _deck_fragment(
    actor: Actor, interval: int, min_cases: int, period: Period, exit_button: bool
) -> None:
    st.fragment(run_every=tick_seconds(interval))(_draw_deck)(
        actor, interval, min_cases, period, exit_button
    )


def _draw_deck(
    actor: Actor, interval: int, min_cases: int, period: Period, exit_button: bool
) -> None:
    """One tick: the slide on screen now, its progress and the controls."""
    show = slide_show(interval)
    deck = load_deck(actor, min_cases, period)
    now = deck.now
    index = show.current(now)
    kind = SLIDE_ORDER[index]
    with st.container(key="present-heading"):
        st.header(f"{kind.heading}", anchor=False)
        st.caption(slide_subtitle(kind, deck))
    with st.container(key=f"present-slide-{kind.value}", height=CHART_HEIGHT + 20, border=False):
        SLIDE_DRAWERS[kind](deck)
    _controls(show, now, index, exit_button)


def _controls(show: SlideShow, now: dt.datetime, index: int, exit_button: bool) -> None:
    with st.container(key="present-controls"):
        _control_row(show, now, index, exit_button)


def _control_row(show: SlideShow, now: dt.datetime, index: int, exit_button: bool) -> None:
    widths = [1.2, 1.2, 1.2, 4.4] + ([0.9] if exit_button else [])
    left, middle, right, status, *leave = st.columns(widths, vertical_alignment="center")
    for column in leave:
        if column.button("退出放映", key="present-exit", width="stretch"):
            # The button is inside the deck's fragment: rerun the whole app, whose routing
            # (without ``?mode=present``) brings back the menu.
            st.query_params.pop("mode", None)
            st.rerun(scope="app")
    left.button(
        "◀ 上一页",
        key="present-prev",
        on_click=_step,
        args=("previous",),
        shortcut="Left",
        width="stretch",
    )
    middle.button(
        "▶ 继续" if show.paused else "Ⅱ 暂停",
        key="present-pause",
        on_click=_step,
        args=("toggle",),
        shortcut="Space",
        width="stretch",
    )
    right.button(
        "下一页 ▶",
        key="present-next",
        on_click=_step,
        args=("next",),
        shortcut="Right",
        width="stretch",
    )
    total = len(SLIDE_ORDER)
    if show.paused:
        text = f"第 {index + 1} / {total} 页 · 已暂停"
        done = 1.0
    else:
        left_s = show.seconds_left(now)
        text = f"第 {index + 1} / {total} 页 · {round(left_s)} 秒后翻页 · 数据更新于 {now:%H:%M:%S}"
        done = min(1.0, max(0.0, 1 - left_s / show.interval))
    status.progress(done, text=text)


# --- slides ------------------------------------------------------------------------------


def _headline(deck: Deck) -> None:
    big, small = headline_tiles(deck.headline, deck.previous)
    for key, tiles in (("present-headline", big), ("present-more", small)):
        if key == "present-more":
            st.space("medium")
        with st.container(key=key):
            for column, tile in zip(st.columns(len(tiles), gap="large"), tiles, strict=True):
                column.metric(
                    tile.label,
                    tile.value,
                    delta=tile.detail,
                    delta_color="normal" if tile.is_change and tile.change else "off",
                    delta_arrow=metric_arrow(tile.change),
                )


def _map(deck: Deck) -> None:
    chart, side = st.columns([4, 1], vertical_alignment="top")
    chart.plotly_chart(
        map_figure(
            deck.cells, deck.geojson, SCREEN, points=deck.points, height=CHART_HEIGHT, width=1380
        ),
        config=_PLOTLY_CONFIG,
        theme=None,
        width="stretch",
    )
    busiest = sorted(deck.cells, key=lambda c: (-c.open_cases, c.code))[:6]
    with side, st.container(key="present-side"):
        st.markdown(f"**在办合计 {sum(c.open_cases for c in deck.cells):,} 件**")
        st.markdown(f"逾期 {sum(c.overdue for c in deck.cells):,} 件")
        st.markdown("**在办最多的网格**")
        for cell in busiest:
            st.markdown(f"{escape_markdown(cell_label(cell))}：{cell.open_cases} 件")


def _trend(deck: Deck) -> None:
    st.plotly_chart(
        trend_figure(deck.trend, SCREEN, height=CHART_HEIGHT),
        config=_PLOTLY_CONFIG,
        theme=None,
        width="stretch",
    )


def _ranking(deck: Deck) -> None:
    chart, side = st.columns([4, 1], vertical_alignment="top")
    chart.plotly_chart(
        ranking_figure(deck.ranking, SCREEN, height=CHART_HEIGHT),
        config=_PLOTLY_CONFIG,
        theme=None,
        width="stretch",
    )
    left_out = len(deck.cells) - len(deck.ranking)
    with side, st.container(key="present-side"):
        st.markdown(f"**参与排名 {len(deck.ranking)} 个网格**")
        st.markdown(f"受理不足 {deck.min_cases} 件未列入：{left_out} 个")
        st.markdown("图中显示前 10 名")


def _levels(deck: Deck) -> None:
    chart, side = st.columns([4, 1], vertical_alignment="top")
    chart.plotly_chart(
        levels_figure(deck.levels, SCREEN, height=CHART_HEIGHT),
        config=_PLOTLY_CONFIG,
        theme=None,
        width="stretch",
    )
    total = sum(n for _, n in deck.levels)
    with side, st.container(key="present-side"):
        st.markdown(f"**已解决合计 {total:,} 件**")
        for label, n in deck.levels:
            share = f"{n / total:.1%}" if total else "—"
            st.markdown(f"{escape_markdown(label)}：{n:,} 件（{share}）")


def notices_frame(deck: Deck) -> pd.DataFrame:
    """The 公示 table: date, category, cell, what was done, how long — escaped for Markdown."""
    return pd.DataFrame(
        {
            "办结日期": [f"{n.finished_on:%m-%d}" for n in deck.notices],
            "类别": [escape_markdown(n.category) for n in deck.notices],
            "网格": [escape_markdown(n.cell) for n in deck.notices],
            "办理结果": [escape_markdown(n.result) for n in deck.notices],
            "用时": [n.duration for n in deck.notices],
        }
    )


def _notices(deck: Deck) -> None:
    with st.container(key="present-notices"):
        if not deck.notices:
            st.info("近 30 天暂无办结的民情。")
            return
        st.table(notices_frame(deck), hide_index=True)


SLIDE_DRAWERS = {
    SlideKind.HEADLINE: _headline,
    SlideKind.MAP: _map,
    SlideKind.TREND: _trend,
    SlideKind.RANKING: _ranking,
    SlideKind.LEVELS: _levels,
    SlideKind.NOTICES: _notices,
}


# --- handout -------------------------------------------------------------------------------


def _handout_fragment(actor: Actor, min_cases: int, title: str, period: Period) -> None:
    st.fragment(_draw_handout)(actor, min_cases, title, period)


def _draw_handout(actor: Actor, min_cases: int, title: str, period: Period) -> None:
    """For secretaries: build the printable PDF of the same slides, then offer it."""
    from ui.handout import HandoutError, build_handout

    if st.button("生成讲义 PDF", key="present-handout-build", width="stretch"):
        deck = load_deck(actor, min_cases, period)
        with st.spinner("正在生成讲义…"):
            try:
                st.session_state[HANDOUT_KEY] = (build_handout(deck, title=title), deck.now)
            except HandoutError as exc:
                st.error(str(exc))
    made = st.session_state.get(HANDOUT_KEY)
    if made:
        pdf, at = made
        st.download_button(
            f"下载讲义（{at:%H:%M}）",
            data=pdf,
            file_name=f"会议讲义-{at:%Y%m%d-%H%M}.pdf",
            mime="application/pdf",
            key="present-handout-download",
            on_click="ignore",
            width="stretch",
        )


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
