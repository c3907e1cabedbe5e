"""初始化向导 (admin): the steps of setting up a 街道, what is still missing, where to do it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from config import local_now
from db.queries.setup_export import setup_is_empty, setup_snapshot
from db.queries.territory_admin import setup_steps, subdistrict_name
from domain.roles import Actor, PageKey
from services.setup_export import ARCHIVE, SetupError, import_setup, read_setup, setup_zip
from ui.context import get_sessions, require_page
from ui.links import page_of
from ui.navigation import PAGES
from ui.text import escape_markdown

WHERE = {
    "街道与社区": (PageKey.TERRITORY, "网格管理"),
    "网格": (PageKey.TERRITORY, "网格管理"),
    "人员": (PageKey.ROSTERS, "基础数据"),
    "住户": (PageKey.ROSTERS, "基础数据"),
    "服务阵地": (PageKey.ROSTERS, "基础数据"),
    "用户": (PageKey.USERS, "用户管理"),
}
"""Step → the page that does it (every step can be revisited there later)."""


def _export_section(actor: Actor) -> None:
    """导出全部设置: one .zip of the workbook (roster sheets as the templates) and the boundaries."""
    st.subheader("导出全部设置")
    st.caption(
        f"「{ARCHIVE}」内含设置导出.xlsx（街道与社区、网格、楼栋、设岗定责、工作日历，以及各社区的住户台账、"
        "人员名册、服务点——列名与基础数据模板相同，可单独导入）和网格边界.geojson（WGS-84）。"
        "只含在用的人员、住户和服务点，不含用户和密码。"
    )
    if st.button("生成导出文件", key="setup_export_make"):
        with get_sessions()() as session:
            snapshot = setup_snapshot(session, actor=actor)
        st.session_state["setup_export_zip"] = setup_zip(snapshot)
    data = st.session_state.get("setup_export_zip")
    if data:
        st.download_button(
            "下载全部设置（.zip）", data, ARCHIVE, "application/zip", key="setup_export_download"
        )


def _import_section(actor: Actor) -> None:
    """导入设置: an export into an empty database — preview (every problem), then confirm."""
    st.subheader("导入设置")
    done = st.session_state.pop("setup_imported", None)
    if done:
        st.success("已导入：" + "，".join(f"{k} {v}" for k, v in done.items()))
    with get_sessions()() as session:
        empty = setup_is_empty(session)
    if not empty:
        st.caption("数据库中已有社区或基础数据：导入设置只能用于空数据库。")
        return
    if actor.community_id is not None:
        st.caption("只有街道的管理员可以导入全部设置。")
        return
    upload = st.file_uploader(
        f"上传导出的「{ARCHIVE}」（或其中的设置导出.xlsx）", type=["zip", "xlsx"],
        key="setup_import_file",
    )  # fmt: skip
    if upload is None:
        return
    try:
        plan = read_setup(upload.getvalue(), upload.name)
    except SetupError as exc:
        st.error(escape_markdown(str(exc)))
        return
    st.dataframe(
        pd.DataFrame([{"内容": k, "条数": v} for k, v in plan.counts.items()]), hide_index=True
    )
    if plan.problems:
        st.error(f"文件有 {len(plan.problems)} 处问题，未导入任何数据。请修正后重新上传：")
        st.dataframe(pd.DataFrame({"问题": plan.problems}), hide_index=True, width="stretch")
        return
    if st.button("确认导入", type="primary", key="setup_import_confirm"):
        try:
            with st.spinner("正在导入…"), get_sessions()() as session:
                outcome = import_setup(session, actor=actor, plan=plan, now=local_now())
        except SetupError as exc:
            st.error(escape_markdown(str(exc)))
            return
        st.session_state["setup_imported"] = outcome.counts
        st.rerun()


def render() -> None:
    """Draw the set-up steps with their counts and links."""
    actor = require_page(PageKey.SETUP)
    with get_sessions()() as session:
        steps = setup_steps(session)
        name = subdistrict_name(session)
    st.title("初始化向导")
    st.caption(
        f"{name or '新街道'}：按顺序完成以下步骤。每一步之后都可以在对应页面随时修改，修改均留有记录。"
    )
    done = sum(1 for s in steps if not s.missing)
    st.progress(done / len(steps), text=f"已完成 {done} / {len(steps)} 步")
    for number, step in enumerate(steps, start=1):
        key, title = WHERE[step.title]
        with st.container(border=True):
            left, right = st.columns([3, 1])
            mark = ":material/check_circle:" if not step.missing else ":material/pending:"
            left.markdown(f"**{mark} 第 {number} 步：{step.title}**（现有 {step.count}）")
            if step.missing:
                left.caption(step.missing)
            if any(p.key is key for p in PAGES):
                with right:
                    st.page_link(page_of(key), label=f"前往{title}")
            else:
                right.caption(f"{title}（即将提供）")
    st.divider()
    _export_section(actor)
    _import_section(actor)


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
