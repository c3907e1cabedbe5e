"""书记看板: period and scope selectors, live KPI tiles and grid map, trends, breakdowns, lists.

The page only draws: every figure comes from ``db.queries.dashboard`` through a
``DashboardSource`` (the database, or figures held in memory for the bench's rendering
floor). The tiles, map, ranking and the clicked cell's panel live in a fragment that reruns
every ``settings.refresh_seconds``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import pandas as pd
import streamlit as st

from config import Settings, local_now
from db.queries import dashboard as dq
from db.queries.access import refusal_of_cell, unit_scope
from db.queries.comparison import CommunityComparison, compares_communities
from db.queries.kpis import KpiSnapshot
from db.queries.scope import Scope
from domain.kpis import COMPARISON_NOTE, KPIS, Period, Ratio
from domain.roles import Actor, PageKey
from ui import dashboard_charts as charts
from ui.case_table import picked_case_link
from ui.chinese import plotly_config
from ui.context import get_sessions, get_settings, require_page
from ui.headline import metric_arrow
from ui.text import escape_markdown

PERIOD_CHOICES = ("本月", "本季度", "本年", "自定义")
SCOPE_CHOICES = ("街道", "社区", "网格")
CELL_KEY = "dashboard_cell"
MAP_SEEN_KEY = "_dashboard_map_seen"
MAP_COMMUNITY_KEY = "dashboard_map_community"
WHOLE_SUBDISTRICT = 0
"""The map-scope choice 全街道 (community ids start at 1)."""
TILES_PER_ROW = 5


class DashboardSource(Protocol):
    """Where the page's figures come from."""

    def choices(self) -> dq.ScopeChoices: ...

    def live(self, period: Period, scope: Scope, now: dt.datetime) -> dq.LiveView: ...

    def analysis(self, period: Period, scope: Scope, now: dt.datetime) -> dq.AnalysisView: ...

    def panel(self, cell_id: int, period: Period, now: dt.datetime) -> dq.CellPanel | None: ...


class ComparisonSource(Protocol):
    """Where the 社区对比 comes from (the 街道 leader's and the admin's dashboard)."""

    def comparison(
        self, period: Period, now: dt.datetime, min_cases: int
    ) -> CommunityComparison: ...


class DatabaseSource:
    """The figures from the database, through the exact dashboard cache, inside ``actor``'s unit.

    A 社区 user's selector offers only their 社区, and any scope asked for is narrowed to it.
    """

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.unit = unit_scope(actor).community_id
        """The actor's 社区 (None: the whole 街道)."""

    def choices(self) -> dq.ScopeChoices:
        with get_sessions()() as session:
            return dq.scope_choices(session, community_id=self.unit)

    def comparison(self, period: Period, now: dt.datetime, min_cases: int) -> CommunityComparison:
        with get_sessions()() as session:
            return dq.cached_comparison(
                session,
                period=period,
                now=now,
                min_cases=min_cases,
                community_id=self.unit,
            )

    def live(self, period: Period, scope: Scope, now: dt.datetime) -> dq.LiveView:
        with get_sessions()() as session:
            return dq.live_view(
                session, period=period, now=now, scope=unit_scope(self.actor, scope)
            )

    def analysis(self, period: Period, scope: Scope, now: dt.datetime) -> dq.AnalysisView:
        with get_sessions()() as session:
            return dq.analysis_view(
                session, period=period, now=now, scope=unit_scope(self.actor, scope)
            )

    def panel(self, cell_id: int, period: Period, now: dt.datetime) -> dq.CellPanel | None:
        with get_sessions()() as session:
            if refusal_of_cell(session, actor=self.actor, grid_cell_id=cell_id) is not None:
                return None  # a cell of another 社区 (a stale or crafted selection)
            return dq.cached_cell_panel(session, cell_id=cell_id, period=period, now=now)


@dataclass(frozen=True)
class Selection:
    """What the selectors chose."""

    period: Period
    period_label: str
    scope: Scope
    scope_label: str


def render() -> None:
    """Draw the dashboard (guarded: admin, secretary, staff, 街道 leader)."""
    actor = require_page(PageKey.DASHBOARD)
    source = DatabaseSource(actor)
    compare = source if compares_communities(actor) else None
    draw(source, get_settings(), compare=compare, whole_subdistrict=source.unit is None)


def draw(
    source: DashboardSource,
    settings: Settings,
    fixed_now: dt.datetime | None = None,
    *,
    compare: ComparisonSource | None = None,
    whole_subdistrict: bool = True,
) -> None:
    """The whole page from ``source``; ``fixed_now`` pins the clock (tests, bench).

    ``compare``: the 社区对比's source, for those who compare 社区; ``whole_subdistrict``: False
    for a 社区 user (no 街道 level in the scope selector).
    """
    now = fixed_now or local_now()
    st.title("书记看板")
    choices = source.choices()
    selection = _selectors(choices, now, whole_subdistrict)
    st.caption(
        f"{selection.scope_label} · {selection.period_label}"
        f"（{selection.period.start:%Y-%m-%d} 至 "
        f"{selection.period.end - dt.timedelta(days=1):%Y-%m-%d}），"
        f"{COMPARISON_NOTE}；每 {settings.refresh_seconds} 秒自动刷新。"
    )
    live = st.fragment(_live_section, run_every=settings.refresh_seconds)
    live(source, selection, settings, fixed_now)
    if compare is not None:
        _comparison_section(compare.comparison(selection.period, now, settings.rank_min_cases))
    _analysis_section(source, selection, now)


def _period(choice: str, now: dt.datetime) -> tuple[Period, str]:
    """The chosen period up to today: compared with as many days before it."""
    today = now.date()
    if choice == "本季度":
        return Period.quarter_of(today).up_to(today), "本季度"
    if choice == "本年":
        return Period.year_of(today).up_to(today), "本年"
    if choice == "自定义":
        picked: tuple[dt.date, ...] = tuple(st.session_state.get("dashboard_range") or ())
        if len(picked) == 2:
            start, end = picked
            return (
                Period(dt.datetime.combine(start, dt.time()), dt.datetime.combine(end, dt.time())
                       + dt.timedelta(days=1)),
                "自定义时段",
            )  # fmt: skip
    return Period.month_of(today).up_to(today), "本月"


def _selectors(choices: dq.ScopeChoices, now: dt.datetime, whole_subdistrict: bool) -> Selection:
    left, middle, right = st.columns([3, 2, 3])
    with left:
        choice = st.segmented_control(
            "统计时段", PERIOD_CHOICES, default="本月", key="dashboard_period"
        )
        if choice == "自定义":
            first = Period.month_of(now.date()).start.date()
            st.date_input(
                "起止日期",
                value=(first, now.date()),
                # from the year of the earliest case on record (an imported 2011 ledger), not
                # Streamlit's 10 years back
                min_value=min(first, (choices.earliest or first).replace(month=1, day=1)),
                max_value=now.date(),
                key="dashboard_range",
                format="YYYY-MM-DD",
            )
    period, period_label = _period(choice or "本月", now)
    levels = SCOPE_CHOICES if whole_subdistrict else SCOPE_CHOICES[1:]
    with middle:
        level = st.segmented_control("范围", levels, default=levels[0], key="dashboard_level")
    scope, scope_label = Scope(), choices.subdistrict
    with right:
        if (level in ("社区", "网格") or not whole_subdistrict) and choices.communities:
            community_id = st.selectbox(
                "社区",
                list(choices.communities),
                format_func=lambda cid: choices.communities[cid],
                key="dashboard_community",
            )
            scope, scope_label = Scope(community_id=community_id), choices.communities[community_id]
            cells = choices.cells.get(community_id, {})
            if level == "网格" and cells:
                cell_id = st.selectbox(
                    "网格",
                    list(cells),
                    format_func=lambda cid: cells[cid],
                    key="dashboard_scope_cell",
                )
                scope = Scope(community_id=community_id, grid_cell_id=cell_id)
                scope_label = f"{choices.communities[community_id]} · {cells[cell_id]}"
    return Selection(period, period_label, scope, scope_label)


def _live_section(
    source: DashboardSource,
    selection: Selection,
    settings: Settings,
    fixed_now: dt.datetime | None,
) -> None:
    view = source.live(selection.period, selection.scope, fixed_now or local_now())
    _tiles(view)
    st.subheader("网格地图")
    cells = view.cells
    communities = {c.community_id: c.community for c in cells}
    per_community = False
    if selection.scope == Scope() and len(communities) > 1:
        # 全街道 is 0, not None: Streamlit draws a None choice as 「Choose an option」.
        drill = st.selectbox(
            "地图范围（选择社区查看其网格）",
            [WHOLE_SUBDISTRICT, *communities],
            format_func=lambda cid: (
                "全街道（按社区着色）" if cid == WHOLE_SUBDISTRICT else communities[cid]
            ),
            key=MAP_COMMUNITY_KEY,
        )
        per_community = drill == WHOLE_SUBDISTRICT
        if not per_community:
            cells = [c for c in view.cells if c.community_id == drill]
    selected = st.session_state.get(CELL_KEY)
    if per_community:
        figure = charts.community_map(cells, view.geojson, view.service_points, selected=selected)
    else:
        measure = st.selectbox(
            "地图着色",
            list(dq.MAP_MEASURES),
            format_func=lambda k: dq.MAP_MEASURES[k],
            key="dashboard_measure",
        )
        figure = charts.grid_map(
            cells, view.geojson, view.service_points, measure=measure, selected=selected
        )
    # The panel beside the map (stacked below it on a phone): a click shows it at once.
    map_column, panel_column = st.columns([3, 2])
    event = map_column.plotly_chart(
        figure,
        on_select="rerun",
        selection_mode="points",
        key="map",
        config=plotly_config(scrollZoom=True),
    )
    _take_map_click(event, {c.cell_id for c in cells})
    names = {c.cell_id: f"{c.community} · {c.name}" for c in cells}
    with panel_column:
        if names:
            if st.session_state.get(CELL_KEY) not in names:
                st.session_state.pop(CELL_KEY, None)
            st.selectbox(
                "网格详情（点击地图上的网格，或在此选择）",
                list(names),
                index=None,
                format_func=lambda cid: names[cid],
                placeholder="选择网格查看详情",
                key=CELL_KEY,
            )
        cell_id = st.session_state.get(CELL_KEY)
        if cell_id is not None:
            panel = source.panel(cell_id, selection.period, view.now)
            if panel is not None:
                _cell_panel(panel)
    _ranking(view.cells, settings.rank_min_cases)


def _take_map_click(event: object, cell_ids: set[int]) -> None:
    """Open the panel of a clicked cell (once per new click; the timer must not undo a choice)."""
    points = []
    try:
        points = list(event.selection.points)  # type: ignore[attr-defined]
    except AttributeError:
        return
    clicked = [p.get("location") for p in points if p.get("location") is not None]
    marker = tuple(clicked)
    if marker == st.session_state.get(MAP_SEEN_KEY):
        return
    st.session_state[MAP_SEEN_KEY] = marker
    if clicked:
        try:
            cell_id = int(clicked[0])
        except (TypeError, ValueError):
            return
        if cell_id in cell_ids:
            st.session_state[CELL_KEY] = cell_id


def _tiles(view: dq.LiveView) -> None:
    tiles = dq.tiles(view.current, view.previous, open_cases=view.open_cases)
    for row in range(0, len(tiles), TILES_PER_ROW):
        columns = st.columns(TILES_PER_ROW)
        for column, tile in zip(columns, tiles[row : row + TILES_PER_ROW], strict=False):
            with column.container(border=True):
                st.metric(
                    tile.label,
                    tile.value,
                    delta=tile.delta,
                    delta_color="normal" if tile.higher_is_better else "inverse",
                    delta_arrow=metric_arrow(tile.change),
                    help=tile.help,
                )
                st.caption(tile.detail)
    st.caption(
        f"数据时间：{view.now:%Y-%m-%d %H:%M:%S}；箭头为{COMPARISON_NOTE}的变化，"
        "比率的变化以百分点计，平均办理时长以工作日计。"
    )


def _cell_panel(panel: dq.CellPanel) -> None:
    with st.container(border=True):
        st.subheader(escape_markdown(f"网格详情：{panel.community} · {panel.name}"))
        s = panel.snapshot
        c1, c2, c3 = st.columns(3)
        c4, c5, c6 = st.columns(3)
        c1.metric("在办件数", f"{panel.open_total:,}")
        c2.metric("逾期件数", f"{s.overdue:,}")
        c3.metric("受理件数", f"{s.accepted:,}")
        c4.metric("解决率", s.resolution.percent())
        c4.caption(f"{s.resolution.numerator:,} / {s.resolution.denominator:,} 件")
        c5.metric("走访覆盖率", s.visit_coverage.percent())
        c5.caption(f"{s.visit_coverage.numerator:,} / {s.visit_coverage.denominator:,} 户")
        c6.metric("帮扶人次", f"{s.assistance_persons:,}")
        leader = panel.leader or "（未指定）"
        if panel.leader and panel.leader_title:
            leader = f"{panel.leader}（{panel.leader_title}）"
        st.write(escape_markdown(f"片长：{leader}"))
        st.write(escape_markdown(f"民情搜集义务人：{'、'.join(panel.collectors) or '（未指定）'}"))
        if panel.open_cases:
            st.write(f"在办案件（{panel.open_total:,} 件，按期限排序）")
            _case_table(panel.open_cases, key="panel_cases", first=PANEL_FIRST)
        else:
            st.info("该网格暂无在办案件。")


def _ranking(cells: list[dq.CellFigures], min_cases: int) -> None:
    st.subheader("网格排名（按解决率）")
    ranked = dq.cell_ranking(cells, min_cases=min_cases)
    st.caption(f"本期受理少于 {min_cases} 件的网格不参与排名。")
    if not ranked:
        st.info("本期没有达到排名门槛的网格。")
        return
    frame = pd.DataFrame(
        {
            "排名": range(1, len(ranked) + 1),
            "网格": [c.name for c in ranked],
            "社区": [c.community for c in ranked],
            "受理件数": [c.accepted for c in ranked],
            "解决率": [c.resolution.percent() for c in ranked],
            "已解决/基数": [f"{c.resolution.numerator}/{c.resolution.denominator}" for c in ranked],
            "在办": [c.open_cases for c in ranked],
            "逾期": [c.overdue for c in ranked],
            "走访覆盖率": [c.coverage.percent() for c in ranked],
            "已走访/户数": [f"{c.coverage.numerator}/{c.coverage.denominator}" for c in ranked],
            "帮扶人次": [c.assistance_persons for c in ranked],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch", key="ranking")


COMPARED = ("accepted", "resolution", "on_time", "satisfaction", "overdue", "visit_coverage", "assistance_persons")  # fmt: skip
"""The 社区对比's KPIs (``domain.kpis.KPIS`` keys), each rate with its count beside it."""


def _comparison_frame(rows: list[tuple[str, KpiSnapshot]]) -> pd.DataFrame:
    """One row per unit: each compared KPI, a rate followed by its 「分子/分母」 column."""
    columns: dict[str, list[object]] = {"社区": [name for name, _ in rows]}
    for key in COMPARED:
        label = KPIS[key].label
        values = [getattr(kpis, key) for _, kpis in rows]
        if isinstance(values[0], Ratio):
            columns[label] = [v.percent() for v in values]
            columns[f"{label}（{KPIS[key].unit}）"] = [
                f"{v.numerator}/{v.denominator}" for v in values
            ]
        else:
            columns[label] = values
    return pd.DataFrame(columns)


def _comparison_section(comparison: CommunityComparison) -> None:
    """社区对比: ranked 社区 with the 街道 total, then those under the minimum (样本不足)."""
    st.subheader("社区对比（按解决率排名）")
    st.caption(
        f"本期受理少于 {comparison.min_cases} 件的社区列为「样本不足」，不参与排名；"
        "合计为全街道的数据，不是各社区比率的平均。"
    )
    ranked: list[tuple[str, KpiSnapshot]] = [(r.name, r.kpis) for r in comparison.ranked]
    frame = _comparison_frame([*ranked, ("街道合计", comparison.total)])
    frame.insert(0, "排名", [*(str(i) for i in range(1, len(ranked) + 1)), "—"])
    st.dataframe(frame, hide_index=True, width="stretch", key="community_comparison")
    if comparison.too_few:
        st.markdown(f"**样本不足**（本期受理少于 {comparison.min_cases} 件）")
        rows = [(r.name, r.kpis) for r in comparison.too_few]
        st.dataframe(_comparison_frame(rows), hide_index=True, width="stretch", key="too_few")


PANEL_FIRST = ("案件编号", "状态", "办结期限", "逾期天数")
OVERDUE_FIRST = ("案件编号", "逾期天数", "办结期限", "网格")
ESCALATED_FIRST = ("案件编号", "上报至", "状态", "网格")
"""What each case table's reader looks for first (a half-width table shows about four columns)."""


def _case_table(links: list[dq.CaseLink], *, key: str, first: tuple[str, ...]) -> None:
    """Cases with ``first`` columns leading; the ticked (or only) row gets a same-tab link."""
    frame = pd.DataFrame(
        {
            "案件编号": [c.case_no for c in links],
            "类别": [c.category for c in links],
            "网格": [c.cell for c in links],
            "状态": [c.status for c in links],
            "受理时间": [c.accepted_at for c in links],
            "办结期限": [c.deadline_at for c in links],
            "逾期天数": [c.days_overdue for c in links],
            "上报至": [c.escalated_to or "" for c in links],
            "诉求摘要": [c.summary for c in links],
        }
    )
    frame = frame[[*first, *(c for c in frame.columns if c not in first)]]
    event = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        column_config={
            "受理时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "办结期限": st.column_config.DatetimeColumn(format="YYYY-MM-DD"),
        },
    )
    picked_case_link(event, [(c.case_id, c.case_no) for c in links])


def _reception_section(reception: dq.ReceptionFigures) -> None:
    """接待日 held in the period (up to today) and the outcomes of the cases raised there."""
    st.subheader("接待日（本期已举行）")
    a, b, c, d = st.columns(4)
    a.metric("接待日场次", f"{len(reception.sessions):,}")
    b.metric("接待日登记诉求", f"{reception.cases:,}")
    b.caption(f"仍在办理 {reception.open_cases:,} 件")
    c.metric("接待日已解决", f"{reception.resolution.numerator:,}")
    d.metric(
        "接待日解决率",
        reception.resolution.percent(),
        help="接待日登记且已办结或已答复 ÷ 接待日登记（不含退回件和合并的重复件）",
    )
    d.caption(f"{reception.resolution.numerator:,} / {reception.resolution.denominator:,} 件")
    if not reception.sessions:
        st.info("本期没有举行接待日。")
        return
    rows = reception.sessions
    frame = pd.DataFrame(
        {
            "接待时间": [r.held_at for r in rows],
            "社区": [r.community for r in rows],
            "地点": [r.place for r in rows],
            "诉求件数": [r.cases for r in rows],
            "在办": [r.open_cases for r in rows],
            "已解决/基数": [f"{r.resolution.numerator}/{r.resolution.denominator}" for r in rows],
            "解决率": [r.resolution.percent() for r in rows],
        }
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key="reception_sessions",
        column_config={"接待时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
    )


def _analysis_section(source: DashboardSource, selection: Selection, now: dt.datetime) -> None:
    view = source.analysis(selection.period, selection.scope, now)
    st.subheader("趋势（近 12 个月）")
    left, right = st.columns(2)
    left.plotly_chart(charts.trend_counts(view.trend), key="trend_counts", config=plotly_config())
    right.plotly_chart(charts.trend_rates(view.trend), key="trend_rates", config=plotly_config())
    st.subheader("分类统计（本期受理）")
    a, b, c = st.columns(3)
    a.plotly_chart(
        charts.breakdown_bars(view.breakdowns.by_category, "按类别"),
        key="by_category",
        config=plotly_config(),
    )
    b.plotly_chart(
        charts.breakdown_bars(view.breakdowns.by_channel, "按来源渠道"),
        key="by_channel",
        config=plotly_config(),
    )
    c.plotly_chart(
        charts.breakdown_bars(view.breakdowns.by_handling, "按五件制"),
        key="by_handling",
        config=plotly_config(),
    )
    st.plotly_chart(
        charts.level_bars(view.breakdowns.by_level), key="levels", config=plotly_config()
    )
    _reception_section(view.reception)
    left, right = st.columns(2)
    with left:
        st.subheader(f"逾期案件（前 {len(view.overdue)} 件）")
        if view.overdue:
            _case_table(view.overdue, key="overdue_cases", first=OVERDUE_FIRST)
        else:
            st.success("当前没有逾期案件。")
    with right:
        st.subheader(f"已上报案件（前 {len(view.escalated)} 件）")
        if view.escalated:
            _case_table(view.escalated, key="escalated_cases", first=ESCALATED_FIRST)
        else:
            st.info("当前没有等待上级答复的案件。")


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
