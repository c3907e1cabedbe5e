"""基础数据 (admin): import rosters from Excel, edit or retire people, households and service
points (every change recorded), and create users for people with one-time passwords."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from config import local_now
from db.queries.rosters import community_cells, household_list, people_list, service_point_list
from db.queries.territory import community_choices, every_grid_cell_choice
from domain.ledger_import import NameIndex
from domain.roles import Actor, PageKey, Role
from domain.rosters import PERSON_KIND_LABELS, Roster, parse_roster
from services.rosters import (
    RosterError,
    edit_record,
    import_roster,
    passwords_csv,
    read_roster,
    retire_record,
    template_xlsx,
    users_for_people,
)
from services.users import UserError
from ui.context import get_sessions, require_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _import_tab(actor: Actor, community_id: int) -> None:
    """Upload → preview (every refused row with its reason) → confirm."""
    picked = st.radio(
        "名册", list(Roster), format_func=lambda r: r.label, horizontal=True, key="ros_kind"
    )
    roster = picked if isinstance(picked, Roster) else Roster.HOUSEHOLDS
    st.download_button(
        f"下载{roster.label}模板",
        template_xlsx(roster),
        f"{roster.label}模板.xlsx",
        XLSX,
        key="ros_tpl",
    )
    default_kind = None
    if roster is Roster.PEOPLE:
        default_kind = st.selectbox(
            "名册类别（行内未填「类别」时）", list(PERSON_KIND_LABELS),
            format_func=lambda k: PERSON_KIND_LABELS[k], key="ros_default_kind",
        )  # fmt: skip
    done = st.session_state.pop("ros_done", None)
    if done:
        st.success(done)
    upload = st.file_uploader(
        "上传名册（.xlsx / .xls / .ods / .csv）", type=["xlsx", "xls", "ods", "csv"],
        key=f"ros_file_{st.session_state.get('ros_file_round', 0)}",
    )  # fmt: skip
    if upload is None:
        return
    try:
        table = read_roster(upload.getvalue(), upload.name, roster)
    except RosterError as exc:
        st.error(str(exc))
        return
    with get_sessions()() as session:
        cells = NameIndex(community_cells(session, community_id=community_id), "网格")
    result = parse_roster(
        roster,
        table.headers,
        table.rows,
        community_id=community_id,
        cells=cells,
        default_kind=default_kind,
    )
    st.info(
        f"工作表「{table.sheet}」：可导入 {len(result.rows)} 行，拒绝 {len(result.refused)} 行（重复导入的行会自动跳过）"
    )
    if result.refused:
        st.dataframe(
            pd.DataFrame([{"行号": r.row_number, "内容": r.shown, "原因": "；".join(r.reasons)} for r in result.refused]),
            hide_index=True, width="stretch",
        )  # fmt: skip
    warnings = [f"第 {r.row_number} 行：{w}" for r in result.rows for w in r.warnings]
    for warning in warnings[:20]:
        st.warning(warning)
    if result.rows and st.button(
        f"确认导入 {len(result.rows)} 行", type="primary", key="ros_confirm"
    ):
        with get_sessions()() as session:
            outcome = import_roster(
                session,
                actor=actor,
                roster=roster,
                community_id=community_id,
                result=result,
                now=local_now(),
            )
        # Clear the upload and its preview: a stale 「确认导入」 under the result invited a second
        # click (harmless, but it looked as if nothing had happened).
        refused = f"；{len(result.refused)} 行被拒绝，未导入" if result.refused else ""
        st.session_state["ros_done"] = (
            f"{roster.label}：已导入 {outcome.added} 行，跳过已有 {outcome.skipped} 行{refused}"
        )
        st.session_state["ros_file_round"] = st.session_state.get("ros_file_round", 0) + 1
        st.rerun()


FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "household": (("head_name", "户主"), ("phone", "联系电话"), ("address", "地址"), ("building", "楼栋"), ("unit", "单元"), ("room", "室")),
    "person": (("name", "姓名"), ("phone", "联系电话"), ("title", "职务"), ("party_branch", "支部"), ("party_group", "党小组"), ("party_status", "党员状态"), ("service_scope", "服务范围")),
    "service_point": (("name", "名称"), ("kind", "类型")),
}  # fmt: skip


def _edit_form(actor: Actor, entity: str, rows: list[dict[str, object]]) -> None:
    """Choose a record, change its fields or retire it; each change is kept in the history."""
    live = [r for r in rows if r["状态"] == "在用"]
    if not live:
        return
    ids = [int(str(r["编号"])) for r in live]
    chosen = st.selectbox("修改记录（编号）", ids, key=f"ros_pick_{entity}")
    with st.form(f"ros_edit_{entity}"):
        values = {
            key: st.text_input(label, key=f"ros_{entity}_{key}") for key, label in FIELDS[entity]
        }
        st.caption("只填写要修改的字段；留空的字段不变。")
        saved = st.form_submit_button("保存修改")
        retired = st.form_submit_button("停用该记录")
    changes = {k: v.strip() for k, v in values.items() if v.strip()}
    try:
        if saved:
            if not changes:
                st.error("请至少填写一个要修改的字段")
                return
            with get_sessions()() as session:
                count = edit_record(
                    session,
                    actor=actor,
                    entity=entity,
                    record_id=chosen,
                    changes=changes,
                    now=local_now(),
                )
            st.success(f"已修改 {count} 个字段，修改记录已保存")
        elif retired:
            with get_sessions()() as session:
                retire_record(
                    session, actor=actor, entity=entity, record_id=chosen, now=local_now()
                )
            st.success("已停用（记录保留，不会删除）")
    except RosterError as exc:
        st.error(str(exc))


def _users_tab(actor: Actor, community_id: int, people: list[dict[str, object]]) -> None:
    """Create users for chosen people; the one-time passwords are shown and downloadable once."""
    made = st.session_state.pop("ros_made", None)
    if made:
        st.success(f"已创建 {len(made)} 个用户。初始密码只显示这一次，首次登录须修改：")
        st.dataframe(pd.DataFrame(made, columns=["用户名", "姓名", "初始密码"]), hide_index=True)
        st.download_button(
            "下载初始密码（仅此一次）",
            passwords_csv(made),
            "初始密码.csv",
            "text/csv",
            key="ros_pw",
        )
        return
    live = {
        int(str(r["编号"])): f"{r['姓名']}（{r['类别']}）" for r in people if r["状态"] == "在用"
    }
    with get_sessions()() as session:
        cells = every_grid_cell_choice(session)
    with st.form("ros_users"):
        chosen = st.multiselect("人员", list(live), format_func=lambda i: live[i], key="ros_people")
        role = st.selectbox(
            "角色", [r.value for r in Role], format_func=lambda r: Role(r).label, key="ros_role"
        )
        unit = st.radio("单位", ["社区", "街道"], horizontal=True, key="ros_unit")
        cell_ids = st.multiselect(
            "网格（网格员必选）", list(cells), format_func=lambda i: cells[i], key="ros_cells"
        )
        prefix = st.text_input("用户名前缀", value="u", max_chars=10, key="ros_prefix")
        if not st.form_submit_button("创建用户"):
            return
    if not chosen:
        st.error("请选择至少一名人员")
        return
    try:
        with get_sessions()() as session:
            made = users_for_people(
                session, actor=actor, person_ids=chosen, role=role,
                community_id=community_id if unit == "社区" else None,
                grid_cell_ids=cell_ids, prefix=prefix or "u", now=local_now(),
            )  # fmt: skip
    except (UserError, RosterError) as exc:
        st.error(str(exc))
        return
    st.session_state["ros_made"] = made
    st.rerun()


def render() -> None:
    """Draw 基础数据."""
    actor = require_page(PageKey.ROSTERS)
    st.title("基础数据")
    with get_sessions()() as session:
        communities = community_choices(session, actor=actor)
    if not communities:
        st.info("还没有社区：请先在初始化向导中建立街道和社区。")
        return
    community_id = st.selectbox(
        "社区", list(communities), format_func=lambda c: communities[c], key="ros_community"
    )
    imp, households, people_tab, points, users = st.tabs(
        ["导入名册", "住户", "人员", "服务点", "创建用户"]
    )
    with imp:
        _import_tab(actor, community_id)
    with get_sessions()() as session:
        hh = household_list(session, actor=actor, community_id=community_id)
        people = people_list(session, actor=actor, community_id=community_id)
        sp = service_point_list(session, community_id=community_id)
    for tab, entity, rows in (
        (households, "household", hh),
        (people_tab, "person", people),
        (points, "service_point", sp),
    ):
        with tab:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
            _edit_form(actor, entity, rows)
    with users:
        _users_tab(actor, community_id, people)


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
