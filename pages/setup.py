"""初始化向导 (admin): the steps of setting up a 街道, what is still missing, where to do it."""

from __future__ import annotations

import streamlit as st

from db.queries.territory_admin import setup_steps, subdistrict_name
from domain.roles import PageKey
from ui.context import get_sessions, require_page
from ui.links import page_of
from ui.navigation import PAGES

WHERE = {
    "街道与社区": (PageKey.TERRITORY, "网格管理"),
    "网格": (PageKey.TERRITORY, "网格管理"),
    "人员": (PageKey.ROSTERS, "基础数据"),
    "住户": (PageKey.ROSTERS, "基础数据"),
    "服务阵地": (PageKey.ROSTERS, "基础数据"),
    "用户": (PageKey.USERS, "用户管理"),
}
"""Step → the page that does it (every step can be revisited there later)."""


def render() -> None:
    """Draw the set-up steps with their counts and links."""
    require_page(PageKey.SETUP)
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


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
