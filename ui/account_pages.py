"""Screens of the login flow itself: first administrator, forced password change."""

from __future__ import annotations

import streamlit as st

from config import local_now
from services.users import UserError, change_own_password, create_first_admin
from ui.auth import SESSION_KEY
from ui.context import get_sessions
from ui.forms import field_errors, show_field_error


def first_admin_page() -> None:
    """A fresh production database has no users: create the first administrator once."""
    st.title("民情流水线 · 初始化")
    st.info("这是一个新的数据库，还没有任何用户。请创建第一个管理员账号（只需一次）。")
    errors = field_errors("first_admin")
    with st.form("first_admin_form"):
        username = st.text_input("管理员用户名", key="fa_username")
        show_field_error(errors, "username")
        name = st.text_input("姓名", key="fa_name")
        show_field_error(errors, "display_name")
        password = st.text_input("密码", type="password", key="fa_password")
        show_field_error(errors, "password")
        repeat = st.text_input("再次输入密码", type="password", key="fa_repeat")
        show_field_error(errors, "repeat")
        submitted = st.form_submit_button("创建管理员", type="primary")
    if submitted:
        try:
            with get_sessions()() as session:
                create_first_admin(
                    session, username=username, display_name=name, password=password,
                    repeat=repeat, now=local_now(),
                )  # fmt: skip
        except UserError as exc:
            st.session_state["first_admin_errors"] = exc.errors
            st.rerun()
        st.session_state.pop("first_admin_errors", None)
        st.session_state["first_admin_done"] = True
        st.rerun()


def change_password_page(username: str) -> None:
    """A new or reset account must choose its own password before anything else."""
    st.title("请修改初始密码")
    st.warning("您的账号是新建的或密码已被重置，请先设置自己的密码。")
    errors = field_errors("change_password")
    with st.form("change_password_form"):
        current = st.text_input("当前密码（初始密码）", type="password", key="cp_current")
        show_field_error(errors, "current")
        new = st.text_input("新密码", type="password", key="cp_new")
        show_field_error(errors, "new")
        repeat = st.text_input("再次输入新密码", type="password", key="cp_repeat")
        show_field_error(errors, "repeat")
        submitted = st.form_submit_button("保存新密码", type="primary")
    if submitted:
        try:
            with get_sessions()() as session:
                change_own_password(
                    session, username=username, current=current, new=new, repeat=repeat,
                    now=local_now(), keep_session=st.session_state.get(SESSION_KEY),
                )  # fmt: skip
        except UserError as exc:
            st.session_state["change_password_errors"] = exc.errors
            st.rerun()
        st.session_state.pop("change_password_errors", None)
        st.rerun()
