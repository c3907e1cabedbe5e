"""用户管理 (admin): create, disable, re-role, grid scope, password reset, 强制下线."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from config import local_now
from db.queries.sessions import live_session_counts
from db.queries.territory import every_grid_cell_choice
from db.queries.users import list_accounts
from domain.roles import PageKey, Role
from services.sessions import force_logout
from services.users import UserError, create_account, reset_password, update_account
from ui.context import get_sessions, get_settings, require_page
from ui.forms import field_errors, label_of, show_field_error

ROLE_OPTIONS = [r.value for r in Role]


def _role_label(value: str) -> str:
    return Role(value).label


def render() -> None:
    """Draw the user administration page."""
    actor = require_page(PageKey.USERS)
    st.title("用户管理")
    with get_sessions()() as session:
        users = list_accounts(session)
        cells = every_grid_cell_choice(session)
        online = live_session_counts(
            session, now=local_now(), idle_minutes=get_settings().session_idle_minutes
        )
        table = pd.DataFrame(
            [
                {
                    "用户名": u.username,
                    "姓名": u.display_name,
                    "角色": u.role.label,
                    "状态": "启用" if u.is_active else "停用",
                    "须改密码": "是" if u.must_change_password else "",
                    "锁定至": u.locked_until.strftime("%H:%M") if u.locked_until else "",
                    "网格": "、".join(u.cell_names),
                    "在线会话": online.get(u.id, 0),
                }
                for u in users
            ]
        )
        by_name = {u.username: (u.id, u.role.value, u.is_active, list(u.cell_ids)) for u in users}
    st.dataframe(table, hide_index=True, width="stretch")

    st.subheader("新建用户")
    errors = field_errors("new_user")
    with st.form("new_user_form"):
        username = st.text_input("用户名", key="nu_username")
        show_field_error(errors, "username")
        name = st.text_input("姓名", key="nu_name")
        show_field_error(errors, "display_name")
        role = st.selectbox("角色", ROLE_OPTIONS, format_func=_role_label, key="nu_role")
        show_field_error(errors, "role")
        scope = st.multiselect(
            "网格范围（网格员必填）",
            list(cells),
            format_func=label_of(cells),
            key="nu_cells",
            placeholder="请选择",
        )
        show_field_error(errors, "grid_cell_ids")
        password = st.text_input(
            "初始密码（用户首次登录须修改）", type="password", key="nu_password"
        )
        show_field_error(errors, "password")
        if st.form_submit_button("创建", type="primary"):
            try:
                with get_sessions()() as session:
                    create_account(
                        session, actor=actor, username=username, display_name=name, role=role,
                        password=password, now=local_now(), grid_cell_ids=scope,
                    )  # fmt: skip
            except UserError as exc:
                st.session_state["new_user_errors"] = exc.errors
                st.rerun()
            st.session_state.pop("new_user_errors", None)
            for key in ("nu_username", "nu_name", "nu_password", "nu_cells"):
                st.session_state.pop(key, None)
            st.session_state["users_flash"] = f"已创建用户 {username.strip().lower()}"
            st.rerun()

    st.subheader("修改用户")
    chosen = st.selectbox("选择用户", list(by_name), key="edit_user")
    if chosen:
        user_id, current_role, active, current_cells = by_name[chosen]
        with st.form("edit_user_form"):
            new_role = st.selectbox(
                "角色",
                ROLE_OPTIONS,
                index=ROLE_OPTIONS.index(current_role),
                format_func=_role_label,
            )
            new_active = st.checkbox("启用", value=active)
            new_cells = st.multiselect(
                "网格范围",
                list(cells),
                default=current_cells,
                format_func=label_of(cells),
                placeholder="请选择",
            )
            if st.form_submit_button("保存修改"):
                try:
                    with get_sessions()() as session:
                        update_account(
                            session, actor=actor, user_id=user_id, role=new_role,
                            is_active=new_active, grid_cell_ids=new_cells, now=local_now(),
                        )  # fmt: skip
                    st.session_state["users_flash"] = f"已保存 {chosen} 的修改"
                    st.rerun()
                except UserError as exc:
                    st.error(str(exc))
        if st.button("重置密码", key="reset_pw"):
            with get_sessions()() as session:
                temporary = reset_password(session, actor=actor, user_id=user_id, now=local_now())
            st.success(f"已重置 {chosen} 的密码。临时密码（只显示这一次，请当面告知）：")
            st.code(temporary, language=None)
        if st.button("强制下线", key="force_logout", help="结束该用户在所有设备上的登录"):
            with get_sessions()() as session:
                ended = force_logout(session, actor=actor, user_id=user_id, now=local_now())
            st.session_state["users_flash"] = f"已强制 {chosen} 下线（结束 {ended} 个会话）"
            st.rerun()
    if flash := st.session_state.pop("users_flash", None):
        st.toast(flash)


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
