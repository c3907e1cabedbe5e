"""网格管理 (admin): 街道 and 社区, grid cells with their 1+2+X people and buildings, merge, split,
retire, boundaries from a file (preview first), the schematic map order and the boundary export."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import streamlit as st

from config import local_now
from db.queries.territory_admin import (
    CellAdminRow,
    boundary_export,
    communities,
    known_cells,
    person_choices,
    subdistrict_name,
    territory_cells,
)
from domain import geo
from domain.boundary_files import property_names, read_boundaries
from domain.boundary_plan import BoundaryPlan, plan_boundaries
from domain.roles import Actor, PageKey
from services import territory as svc
from ui.context import get_sessions, require_page
from ui.forms import form_round, next_round


def _run(write: Callable[..., object], **kwargs: object) -> bool:
    """Run one service write; show its Chinese refusal and return False if it refused."""
    try:
        with get_sessions()() as session:
            write(session, now=local_now(), **kwargs)
    except svc.TerritoryError as exc:
        st.error(str(exc))
        return False
    return True


def _cell_table(rows: list[CellAdminRow]) -> None:
    frame = pd.DataFrame(
        [
            {
                "社区": r.community,
                "编码": r.code,
                "网格": r.name,
                "顺序": str(r.position or "") if r.retired_at is None else "",
                "片长": r.leader,
                "民情搜集义务人": "、".join(r.collectors),
                "楼栋（楼栋长）": "、".join(
                    f"{b.name}（{b.head or '未定'}）" for b in r.buildings if not b.retired
                ),
                "边界": "示意图" if r.schematic else "已上传",
                "状态": "在用"
                if r.retired_at is None
                else f"已停用{'，并入' + r.successor if r.successor else ''}",
            }
            for r in rows
        ]
    )
    st.dataframe(frame, hide_index=True, width="stretch")


def _subdistrict_forms(actor: Actor, name: str | None, comms: list[tuple[int, str, str]]) -> None:
    with st.form("subdistrict_form"):
        new_name = st.text_input("街道名称", value=name or "", key="ter_sub_name", max_chars=60)
        if st.form_submit_button("保存街道名称") and _run(
            svc.create_subdistrict, actor=actor, name=new_name
        ):
            st.rerun()
    # A new round of keys after each 新增社区: the browser keeps what a removed key showed.
    rnd = form_round("community_form", "ter_comm_")
    with st.form("community_form"):
        c1, c2 = st.columns(2)
        cname = c1.text_input("社区名称", key=rnd.key("name"), max_chars=60)
        ccode = c2.text_input(
            "社区编码", key=rnd.key("code"), max_chars=20, help="如 WS，用于网格编码"
        )
        if st.form_submit_button("新增社区") and _run(
            svc.create_community, actor=actor, name=cname, code=ccode
        ):
            next_round(rnd, cname)
            st.rerun()
    if comms:
        labels = {cid: f"{n}（{c}）" for cid, n, c in comms}
        with st.form("rename_community_form"):
            cid = st.selectbox("改名的社区", list(labels), format_func=labels.__getitem__)
            renamed = st.text_input("新名称", key="ter_comm_rename", max_chars=60)
            if st.form_submit_button("改名") and _run(
                svc.rename_community, actor=actor, community_id=cid, name=renamed
            ):
                st.rerun()


def _cell_forms(
    actor: Actor,
    comms: dict[int, str],
    active: dict[int, CellAdminRow],
    people: dict[int, str],
) -> None:
    with st.form("new_cell_form"):
        c1, c2, c3 = st.columns(3)
        community = c1.selectbox(
            "所属社区", list(comms), format_func=comms.__getitem__, key="ter_cell_comm"
        )
        code = c2.text_input("网格编码", key="ter_cell_code", max_chars=20)
        name = c3.text_input("网格名称", key="ter_cell_name", max_chars=60)
        if st.form_submit_button("新增网格") and _run(
            svc.create_cell, actor=actor, community_id=community, code=code, name=name
        ):
            for key in ("ter_cell_code", "ter_cell_name"):
                st.session_state.pop(key, None)
            st.rerun()
    if not active:
        return
    label = {cid: f"{r.community} · {r.name}（{r.code}）" for cid, r in active.items()}
    cid = st.selectbox("选择网格", list(active), format_func=label.__getitem__, key="ter_cell")
    row = active[cid]
    none_people: dict[int | None, str] = {None: "（未定）"}
    none_people.update(people.items())
    with st.form(f"cell_people_form_{cid}"):
        st.markdown("**名称与 1+2+X 人员**")
        new_name = st.text_input("网格名称", value=row.name, max_chars=60)
        leader = st.selectbox(
            "片长", list(none_people), format_func=none_people.__getitem__,
            index=list(none_people).index(row.leader_id) if row.leader_id in none_people else 0,
        )  # fmt: skip
        collectors = st.multiselect(
            "民情搜集义务人（两名）", list(people), format_func=people.__getitem__,
            default=[p for p in row.collector_ids if p in people], max_selections=2,
        )  # fmt: skip
        if st.form_submit_button("保存"):
            ok = new_name == row.name or _run(
                svc.rename_cell, actor=actor, cell_id=cid, name=new_name
            )
            if ok and _run(
                svc.set_cell_people, actor=actor, cell_id=cid, leader_id=leader,
                collector_ids=collectors,
            ):  # fmt: skip
                st.rerun()
    with st.form(f"building_form_{cid}"):
        st.markdown("**楼栋与楼栋长**")
        b1, b2 = st.columns(2)
        bname = b1.text_input("楼栋", key="ter_building", max_chars=30, placeholder="如 3栋")
        head = b2.selectbox("楼栋长", list(none_people), format_func=none_people.__getitem__)
        if st.form_submit_button("新增楼栋") and _run(
            svc.add_building, actor=actor, cell_id=cid, name=bname, head_person_id=head
        ):
            st.session_state.pop("ter_building", None)
            st.rerun()
    live = {b.id: b for b in row.buildings if not b.retired}
    if live:
        with st.form(f"building_edit_form_{cid}"):
            bid = st.selectbox("修改楼栋", list(live), format_func=lambda b: live[b].name)
            b1, b2 = st.columns(2)
            bname = b1.text_input("楼栋名称", value=live[bid].name, max_chars=30)
            head = b2.selectbox("楼栋长 ", list(none_people), format_func=none_people.__getitem__)
            retire = st.checkbox("停用该楼栋")
            if st.form_submit_button("保存楼栋") and _run(
                svc.update_building, actor=actor, building_id=bid, name=bname,
                head_person_id=head, retire=retire,
            ):  # fmt: skip
                st.rerun()


def _restructure_forms(actor: Actor, active: dict[int, CellAdminRow]) -> None:
    label = {cid: f"{r.community} · {r.name}（{r.code}）" for cid, r in active.items()}
    with st.form("merge_form"):
        st.markdown("**合并网格**（原网格停用并指向新网格，案件与住户保留原网格）")
        chosen = st.multiselect("要合并的网格", list(active), format_func=label.__getitem__)
        m1, m2 = st.columns(2)
        code = m1.text_input("新网格编码", key="ter_merge_code", max_chars=20)
        name = m2.text_input("新网格名称", key="ter_merge_name", max_chars=60)
        if st.form_submit_button("合并") and _run(
            svc.merge_cells, actor=actor, cell_ids=chosen, code=code, name=name
        ):
            st.rerun()
    with st.form("split_form"):
        st.markdown("**拆分网格**（每行一个新网格：编码 名称）")
        cid = st.selectbox("要拆分的网格", list(active), format_func=label.__getitem__)
        lines = st.text_area(
            "新网格", key="ter_split_parts", placeholder="WS-05 第五网格\nWS-06 第六网格"
        )
        if st.form_submit_button("拆分"):
            parts = [tuple(line.split(maxsplit=1)) for line in lines.splitlines() if line.strip()]
            if any(len(p) != 2 for p in parts):
                st.error("每行须填写「编码 名称」")
            elif _run(svc.split_cell, actor=actor, cell_id=cid, parts=parts):
                st.rerun()
    with st.form("retire_form"):
        st.markdown("**停用网格**（不会删除，已有案件保留）")
        cid = st.selectbox(
            "要停用的网格", list(active), format_func=label.__getitem__, key="ter_ret"
        )
        sure = st.checkbox("确认停用", key="ter_ret_sure")
        if st.form_submit_button("停用"):
            if not sure:
                st.error("请勾选「确认停用」")
            elif _run(svc.retire_cell, actor=actor, cell_id=cid):
                st.rerun()


def _order_editor(actor: Actor, comms: dict[int, str], active: dict[int, CellAdminRow]) -> None:
    st.markdown("**示意图顺序**：没有电子地图的社区按此顺序自西北向东南排列网格。")
    community = st.selectbox(
        "调整哪个社区", list(comms), format_func=comms.__getitem__, key="ter_ord_comm"
    )
    rows = [r for r in active.values() if r.community_id == community]
    rows.sort(key=lambda r: (r.position or 0, r.code))
    if not rows:
        st.caption("该社区还没有网格。")
        return
    frame = pd.DataFrame([{"id": r.id, "网格": r.name, "顺序": i} for i, r in enumerate(rows, 1)])
    edited = st.data_editor(
        frame, hide_index=True, disabled=["id", "网格"], key=f"ter_order_{community}",
        column_config={"id": None, "顺序": st.column_config.NumberColumn(min_value=1, step=1)},
    )  # fmt: skip
    if st.button("保存顺序", key="ter_order_save"):
        order = [int(i) for i in edited.sort_values(["顺序", "网格"])["id"]]
        if _run(svc.reorder_cells, actor=actor, community_id=community, order=order):
            st.rerun()


def _boundary_upload(actor: Actor, comms: list[tuple[int, str, str]]) -> None:
    st.markdown(
        "支持 GeoJSON、KML/KMZ（奥维互动地图、Google Earth 导出）和压缩的 Shapefile（.zip）。"
        "先预览，确认后才写入。"
    )
    done = st.session_state.pop("ter_b_done", None)
    if done:
        st.success(done)
    upload = st.file_uploader(
        "边界文件", type=["geojson", "json", "kml", "kmz", "zip"],
        key=f"ter_file_{st.session_state.get('ter_file_round', 0)}",
    )  # fmt: skip
    if upload is None:
        return
    try:
        features = read_boundaries(upload.name, upload.getvalue())
    except geo.BoundaryError as exc:
        st.error(str(exc))
        return
    names = property_names(features)
    if not names:
        st.error("文件中的边界没有名称或编码属性，无法对应网格")
        return
    by_id = {cid: (n, c) for cid, n, c in comms}
    c1, c2, c3 = st.columns(3)
    community = c1.selectbox(
        "写入哪个社区", list(by_id), format_func=lambda c: by_id[c][0], key="ter_b_comm"
    )
    key = c2.selectbox("按哪个属性对应网格（名称或编码）", names, key="ter_b_key")
    crs = c3.selectbox("坐标系", list(geo.Crs), format_func=lambda c: c.label, key="ter_b_crs")
    crs = crs or geo.Crs.WGS84
    optional: list[str | None] = [None, *names]
    o1, o2 = st.columns(2)
    code_key = o1.selectbox("新网格的编码取自（可选）", optional, key="ter_b_code",
                            format_func=lambda n: n or "（自动编号）")  # fmt: skip
    community_key = o2.selectbox("只取属于该社区的边界，社区属性（可选）", optional, key="ter_b_ckey",
                                 format_func=lambda n: n or "（全部）")  # fmt: skip
    with get_sessions()() as session:
        cells = known_cells(session)
    plan = plan_boundaries(
        features, key=key, crs=crs, community_id=community, community_code=by_id[community][1],
        community_name=by_id[community][0], cells=cells, code_key=code_key,
        community_key=community_key,
    )  # fmt: skip
    _preview(plan)
    if plan.problems:
        return
    if st.button("确认写入边界", type="primary", key="ter_b_apply") and _run(
        svc.apply_boundaries, actor=actor, plan=plan
    ):
        st.session_state["ter_b_done"] = f"已写入 {len(plan.rows)} 个网格边界"
        st.session_state["ter_file_round"] = st.session_state.get("ter_file_round", 0) + 1
        st.rerun()


def _preview(plan: BoundaryPlan) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "文件中的边界": r.label,
                    "对应网格": r.name,
                    "编码": r.code,
                    "操作": "更新边界" if r.cell_id else "新建网格",
                }
                for r in plan.rows
            ]
        ),
        hide_index=True,
    )
    for problem in plan.problems:
        st.error(problem)


def render() -> None:
    """Draw the territory administration."""
    actor = require_page(PageKey.TERRITORY)
    with get_sessions()() as session:
        name = subdistrict_name(session)
        comms = communities(session)
        rows = territory_cells(session)
        people = person_choices(session)
        exported = boundary_export(session)
    st.title("网格管理")
    st.caption(
        f"{name or '尚未填写街道名称'} · {len(comms)} 个社区 · "
        f"{sum(1 for r in rows if r.retired_at is None)} 个在用网格。网格不会被删除：合并、拆分、停用后，"
        "已有案件保留原网格；每次修改都记入修改记录。"
    )
    if rows:
        _cell_table(rows)
    active = {r.id: r for r in rows if r.retired_at is None}
    comm_names = {cid: n for cid, n, _ in comms}
    # Keyed and tracked: the cell table appearing above after the first write (a new element
    # before the tabs) would otherwise remount them on the first tab, hiding the result.
    tabs = st.tabs(
        ["街道与社区", "网格与人员", "合并·拆分·停用", "边界文件", "示意图顺序", "导出"],
        key="ter_tab", on_change="rerun",
    )  # fmt: skip
    with tabs[0]:
        _subdistrict_forms(actor, name, comms)
    with tabs[1]:
        if comms:
            _cell_forms(actor, comm_names, active, people)
        else:
            st.info("请先新增社区。")
    with tabs[2]:
        if active:
            _restructure_forms(actor, active)
        else:
            st.info("还没有在用的网格。")
    with tabs[3]:
        if comms:
            _boundary_upload(actor, comms)
        else:
            st.info("请先新增社区。")
    with tabs[4]:
        if comms:
            _order_editor(actor, comm_names, active)
    with tabs[5]:
        st.caption("导出全部在用网格的边界（WGS-84 GeoJSON），可在新系统中按「编码」重新导入。")
        st.download_button(
            "下载网格边界 GeoJSON",
            json.dumps(exported, ensure_ascii=False, indent=1).encode(),
            file_name="网格边界.geojson",
            mime="application/geo+json",
            key="ter_export",
        )


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
