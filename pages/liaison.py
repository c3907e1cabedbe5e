"""党员联户: 1+2+X coverage per grid cell (who covers which households, the uncovered ones and
those not visited this year), members' service posts and duties, and the monthly 积分 table with
the records behind each figure. Admins edit the points rules here.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from config import local_now
from db.queries import people as people_queries
from db.queries import points as point_queries
from db.queries.territory import grid_cell_choices
from db.queries.visits import household_choices
from domain.kpis import Period
from domain.people import FACT_LABELS, FactKind
from domain.roles import POINT_RULE_EDITORS, Actor, PageKey, Role
from services import people as people_service
from services.cases import PermissionDenied, ValidationFailed
from ui.context import get_sessions, require_page
from ui.forms import field_errors, keep_errors, label_of, mark_saved, show_field_error

LINK_FORM = "liaison_link"
LINK_KEYS = ("li_person", "li_cell", "li_household", "li_group")


def _add_link(actor: Actor) -> None:
    """Submit callback: save the liaison link, or keep the form and its errors."""
    state = st.session_state
    try:
        with get_sessions()() as session:
            people_service.add_liaison(
                session,
                person_id=state.get("li_person"),
                grid_cell_id=state.get("li_cell"),
                household_id=state.get("li_household"),
                group_name=state.get("li_group") or "",
                actor=actor,
                now=local_now(),
            )
    except ValidationFailed as exc:
        keep_errors(LINK_FORM, exc.errors)
        return
    mark_saved(LINK_FORM, LINK_KEYS)


def _coverage(actor: Actor, year: Period) -> None:
    with get_sessions()() as session:
        cells = people_queries.liaison_by_cell(session, actor=actor, period=year)
    if not cells:
        st.info("您没有负责的网格。")
        return
    st.caption(
        "覆盖率（联户覆盖率）= 有党员或网格员联系的户数 ÷ 户数；"
        "未走访（本年未走访）= 本年尚未入户走访的户数。"
    )
    st.dataframe(
        pd.DataFrame(
            {
                # The figures first, the long name lists after them.
                "网格": [c.cell for c in cells],
                "户数": [c.coverage.households for c in cells],
                "联户覆盖率": [c.coverage.covered.percent() for c in cells],
                "无人联系": [len(c.coverage.uncovered) for c in cells],
                "本年未走访": [len(c.coverage.not_visited) for c in cells],
                "社区": [c.community for c in cells],
                "片长": [c.leader for c in cells],
                "民情搜集义务人": ["、".join(c.collectors) for c in cells],
                "联户人": ["、".join(c.liaisons) for c in cells],
                "联系居民小组": ["、".join(c.groups) for c in cells],
            }
        ),
        hide_index=True,
        width="stretch",
        key="liaison_cells",
        # Short headers and fixed widths: on a 390 px phone the four figures fit beside the
        # cell's name (the full names are in the caption and each header's help).
        column_config={
            "网格": st.column_config.TextColumn("网格", width=104),
            "户数": st.column_config.NumberColumn("户数", width=48),
            "联户覆盖率": st.column_config.TextColumn("覆盖率", width=64, help="联户覆盖率"),
            "无人联系": st.column_config.NumberColumn("无人联系", width=76),
            "本年未走访": st.column_config.NumberColumn("未走访", width=64, help="本年未走访"),
        },
    )
    labels = {c.cell_id: f"{c.community} · {c.cell}" for c in cells}
    chosen = st.selectbox(
        "查看网格内各户",
        list(labels),
        format_func=label_of(labels),
        index=None,
        key="li_view_cell",
        placeholder="请选择",
    )
    if chosen is None:
        return
    with get_sessions()() as session:
        rows = people_queries.cell_households(
            session, grid_cell_id=chosen, actor=actor, period=year
        )
    only = st.segmented_control(
        "筛选", ["全部", "无人联系", "本年未走访"], default="全部", key="li_filter"
    )
    if only == "无人联系":
        rows = [r for r in rows if not r.liaisons]
    elif only == "本年未走访":
        rows = [r for r in rows if not r.visited]
    st.dataframe(
        pd.DataFrame(
            {
                "住户": [r.place for r in rows],
                "联户人": ["、".join(r.liaisons) or "（无人联系）" for r in rows],
                "本年走访": ["已走访" if r.visited else "未走访" for r in rows],
            }
        ),
        hide_index=True,
        width="stretch",
        key="liaison_households",
    )


def _link_form(actor: Actor) -> None:
    errors = field_errors(LINK_FORM)
    if st.session_state.get(f"{LINK_FORM}_saved"):
        st.success("联户关系已保存。")
    with get_sessions()() as session:
        people = people_queries.liaison_people_choices(session)
        cells = grid_cell_choices(session, actor=actor)
        cell_id = st.session_state.get("li_cell")
        households = (
            household_choices(session, grid_cell_id=cell_id, actor=actor) if cell_id else {}
        )
    st.selectbox(
        "网格",
        list(cells),
        format_func=label_of(cells),
        index=None,
        key="li_cell",
        placeholder="请选择",
    )
    show_field_error(errors, "grid_cell_id")
    with st.form("liaison_link_form", enter_to_submit=False):
        st.selectbox(
            "联户人（党员/网格员）",
            list(people),
            format_func=label_of(people),
            index=None,
            key="li_person",
            placeholder="请选择",
        )
        show_field_error(errors, "person_id")
        st.selectbox(
            "联系的住户",
            list(households),
            format_func=label_of(households),
            index=None,
            placeholder="先选择网格" if cell_id is None else "选择住户",
            key="li_household",
        )
        show_field_error(errors, "household_id")
        st.text_input("或联系的居民小组（如 第三行政小组）", max_chars=60, key="li_group")
        show_field_error(errors, "group_name")
        st.form_submit_button("保存联户关系", type="primary", on_click=_add_link, args=(actor,))
    if errors:
        st.warning("未保存：请按提示修改后重新提交。")


def _members(actor: Actor, year: Period) -> None:
    with get_sessions()() as session:
        rows = people_queries.members(session, actor=actor)
    st.dataframe(
        pd.DataFrame(
            {
                "姓名": [r.name for r in rows],
                "身份": [r.kind for r in rows],
                "党支部": [r.branch for r in rows],
                "服务岗位": [r.post for r in rows],
                "联系户数": [r.households for r in rows],
                "联系居民小组": ["、".join(r.groups) for r in rows],
            }
        ),
        hide_index=True,
        width="stretch",
        key="liaison_members",
    )
    labels = {r.person_id: f"{r.name}（{r.branch or r.kind}）" for r in rows}
    chosen = st.selectbox(
        "查看成员履职",
        list(labels),
        format_func=label_of(labels),
        index=None,
        key="li_member",
        placeholder="请选择",
    )
    if chosen is None:
        return
    with get_sessions()() as session:
        profile = people_queries.member_profile(session, person_id=chosen, actor=actor, period=year)
    st.markdown(f"**{profile.name}** · {profile.kind} · {profile.branch or '—'}")
    st.markdown(f"服务岗位：{profile.post or '未设岗'}　职责：{profile.duties or '—'}")
    st.markdown(
        f"联系住户 {len(profile.households)} 户；居民小组：{'、'.join(profile.groups) or '—'}"
    )
    st.markdown(
        f"本年参与走访 {len(profile.visits)} 次、帮扶 {len(profile.assistance)} 次、"
        f"承办案件 {len(profile.cases)} 件"
    )
    if profile.cases:
        st.dataframe(
            pd.DataFrame(profile.cases, columns=["案件编号", "渠道", "状态", "类别"]),
            hide_index=True,
            key="liaison_member_cases",
        )


def _save_rule(key: str, actor: Actor) -> None:
    state = st.session_state
    try:
        with get_sessions()() as session:
            people_service.update_point_rule(
                session,
                rule_key=key,
                label=state.get(f"pr_label_{key}") or "",
                points=state.get(f"pr_points_{key}"),
                active=bool(state.get(f"pr_active_{key}")),
                actor=actor,
                now=local_now(),
            )
    except ValidationFailed as exc:
        state[f"pr_{key}_errors"] = exc.errors
        return
    state.pop(f"pr_{key}_errors", None)
    state["pr_saved"] = key


def _settle(period: Period, actor: Actor) -> None:
    try:
        with get_sessions()() as session:
            count = people_service.settle_points(
                session, period=period, actor=actor, now=local_now()
            )
    except PermissionDenied as exc:
        st.session_state["pt_message"] = str(exc)
        return
    st.session_state["pt_message"] = f"已按现行规则结算，共 {count} 条积分记录。"


def _points(actor: Actor, month: Period) -> None:
    with get_sessions()() as session:
        people_service.ensure_point_rules(session)
        rules = point_queries.point_rules(session)
        table = point_queries.monthly_points(session, period=month, actor=actor)
    st.caption(f"{month.start:%Y年%m月} 积分（按规则由走访、帮扶、按期办结、回访满意记录结算）")
    if actor.role in (Role.ADMIN, Role.SECRETARY):
        st.button("按现行规则结算本月积分", on_click=_settle, args=(month, actor), key="pt_settle")
    if st.session_state.get("pt_message"):
        st.info(st.session_state["pt_message"])
    if not table.members:
        st.info("本月暂无积分记录。")
    else:
        kinds = [k.value for k in FactKind]
        st.markdown("**个人积分**")
        st.dataframe(
            pd.DataFrame(
                {
                    "姓名": [m.name for m in table.members],
                    "党支部": [m.branch for m in table.members],
                    "服务岗位": [m.post for m in table.members],
                    **{
                        FACT_LABELS[FactKind(k)]: [m.by_rule.get(k, 0) for m in table.members]
                        for k in kinds
                    },
                    "合计": [m.total for m in table.members],
                }
            ),
            hide_index=True,
            width="stretch",
            key="points_members",
        )
        st.markdown("**党支部积分**")
        st.dataframe(
            pd.DataFrame({"党支部": list(table.branches), "合计": list(table.branches.values())}),
            hide_index=True,
            key="points_branches",
        )
        with st.expander("积分明细（每个数字背后的记录）"):
            st.dataframe(
                pd.DataFrame(
                    {
                        "日期": [r.earned_on for r in table.records],
                        "姓名": [r.person for r in table.records],
                        "党支部": [r.branch for r in table.records],
                        "规则": [r.rule for r in table.records],
                        "分值": [r.points for r in table.records],
                        "来源": [r.source for r in table.records],
                        "记录": [r.source_ref for r in table.records],
                    }
                ),
                hide_index=True,
                width="stretch",
                key="points_records",
            )
    if actor.role not in POINT_RULE_EDITORS:
        st.caption("积分规则：" + "；".join(f"{r.label} {r.points} 分" for r in rules if r.active))
        return
    st.markdown("**积分规则**（管理员可修改；修改后点「结算」使本月积分按新规则重算）")
    if st.session_state.get("pr_saved"):
        st.success("积分规则已保存。")
    for rule in rules:
        errors = field_errors(f"pr_{rule.key}")
        with st.form(f"pr_form_{rule.key}", enter_to_submit=False):
            a, b, c = st.columns([3, 1, 1])
            a.text_input("规则名称", value=rule.label, max_chars=60, key=f"pr_label_{rule.key}")
            with a:
                show_field_error(errors, "label")
            b.number_input("分值", value=rule.points, step=1, key=f"pr_points_{rule.key}")
            with b:
                show_field_error(errors, "points")
            c.checkbox("启用", value=rule.active, key=f"pr_active_{rule.key}")
            st.form_submit_button("保存", on_click=_save_rule, args=(rule.key, actor))


def render() -> None:
    """Draw the 党员联户 page."""
    actor = require_page(PageKey.LIAISON)
    now = local_now()
    st.title("党员联户")
    st.caption("1+2+X：片长 + 两名民情搜集义务人 + 党员联系户；设岗定责，积分管理。")
    coverage, link, members, points = st.tabs(["联户覆盖", "维护联户", "设岗定责", "积分"])
    year = Period.year_of(now.date())
    with coverage:
        _coverage(actor, year)
    with link:
        if actor.role is Role.VIEWER:
            st.info("您的角色不能维护联户关系。")
        else:
            _link_form(actor)
    with members:
        _members(actor, year)
    with points:
        _points(actor, Period.month_of(now.date()))


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
