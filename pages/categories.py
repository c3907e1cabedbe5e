"""类别管理 (admin): add, rename, retire the concern categories offered at intake."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from config import local_now
from db.queries.categories import list_categories
from domain.roles import PageKey
from services.categories import CategoryError, add_category, update_category
from ui.context import get_sessions, require_page


def render() -> None:
    """Draw the category editor."""
    actor = require_page(PageKey.CATEGORIES)
    st.title("类别管理")
    st.caption("类别不会被删除：停用后不再出现在受理表单中，已有案件保留原类别。")
    with get_sessions()() as session:
        categories = [(c.id, c.name, c.is_active) for c in list_categories(session)]
    st.dataframe(
        pd.DataFrame(
            [{"类别": name, "状态": "启用" if active else "停用"} for _, name, active in categories]
        ),
        hide_index=True,
    )
    with st.form("add_category_form"):
        name = st.text_input("新增类别", key="cat_new_name", max_chars=30)
        if st.form_submit_button("新增"):
            try:
                with get_sessions()() as session:
                    add_category(session, actor=actor, name=name, now=local_now())
            except CategoryError as exc:
                st.error(str(exc))
            else:
                st.session_state.pop("cat_new_name", None)
                st.rerun()
    if not categories:
        return
    by_id = {cid: (name, active) for cid, name, active in categories}
    chosen = st.selectbox("修改类别", list(by_id), format_func=lambda cid: by_id[cid][0])
    with st.form("edit_category_form"):
        new_name = st.text_input("名称", value=by_id[chosen][0], max_chars=30)
        active = st.checkbox("启用", value=by_id[chosen][1])
        if st.form_submit_button("保存"):
            try:
                with get_sessions()() as session:
                    update_category(
                        session, actor=actor, category_id=chosen, name=new_name,
                        is_active=active, now=local_now(),
                    )  # fmt: skip
            except CategoryError as exc:
                st.error(str(exc))
            else:
                st.rerun()


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
