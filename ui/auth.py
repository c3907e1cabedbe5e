"""The login gate: streamlit-authenticator over users read from the database on every run."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
import streamlit_authenticator as stauth

from config import DEMO_PASSWORD, Settings, local_now
from db.queries.users import login_credentials, may_stay_logged_in
from services import accounts
from ui.context import get_sessions

LOGIN_FIELDS = {
    "Form name": "登录",
    "Username": "用户名",
    "Password": "密码",
    "Login": "登录",
    "Captcha": "验证码",
}


def build_authenticator(settings: Settings) -> tuple[stauth.Authenticate, dict[str, Any]]:
    """A fresh authenticator and the credentials dict it mutates (rebuilt every run)."""
    with get_sessions()() as session:
        credentials = login_credentials(session, now=local_now())
    authenticator = stauth.Authenticate(
        credentials,
        cookie_name=settings.cookie_name,
        cookie_key=settings.cookie_key,
        cookie_expiry_days=settings.cookie_expiry_days,
        auto_hash=False,
        login_sleep_time=0,
    )
    return authenticator, credentials


def _attempted_username(credentials: dict[str, Any]) -> str | None:
    for username, entry in credentials["usernames"].items():
        if entry.get("failed_login_attempts", 0) > 0:
            return str(username)
    return None


def login_page(
    authenticator: stauth.Authenticate, credentials: dict[str, Any], settings: Settings
) -> None:
    """The page shown to anyone not logged in: the form, outcome messages, demo accounts."""
    st.title("民情流水线")
    st.caption("访民情 · 议民事 · 解民难 —— 社区民情受理、办理、反馈、监督一体化平台")
    left, right = st.columns([3, 2], gap="large")
    with left:
        try:
            authenticator.login(location="main", fields=LOGIN_FIELDS, key="login_form")
        except stauth.utilities.LoginError as exc:
            st.error(f"登录失败：{exc}")
        status = st.session_state.get("authentication_status")
        if status is False:
            username = _attempted_username(credentials)
            if username:  # a form submission on this run (not a later rerun)
                with get_sessions()() as session:
                    locked_until = accounts.record_failure(
                        session, username=username, now=local_now()
                    )
                st.session_state["_login_error"] = (
                    f"该账户因连续 {accounts.LOCK_AFTER_FAILURES} 次登录失败已被锁定，"
                    f"请于 {locked_until:%H:%M} 后再试。"
                    if locked_until is not None
                    else "用户名或密码不正确。"
                )
            st.error(st.session_state.get("_login_error", "用户名或密码不正确。"))
        elif status is None:
            st.info("请输入用户名和密码登录。")
    with right:
        if settings.demo_mode:
            _demo_accounts_panel()


def _demo_accounts_panel() -> None:
    from db.demo import DEMO_ACCOUNTS
    from domain.roles import Role

    st.subheader("演示账号")
    st.caption(f"演示模式：以下账号的密码均为 `{DEMO_PASSWORD}`")
    table = pd.DataFrame(
        [
            {"用户名": username, "角色": Role(role).label, "姓名": name}
            for username, role, name in DEMO_ACCOUNTS
        ]
    )
    st.table(table.set_index("用户名"))


def after_login(authenticator: stauth.Authenticate) -> bool:
    """Book-keeping once a session is authenticated; False if it must be logged out."""
    username = str(st.session_state.get("username") or "")
    now = local_now()
    with get_sessions()() as session:
        if not may_stay_logged_in(session, username=username, now=now):
            authenticator.logout(location="unrendered")
            return False
        if st.session_state.get("_login_recorded") != username:
            accounts.record_success(session, username=username, now=now)
            st.session_state["_login_recorded"] = username
    return True


def logout_button(authenticator: stauth.Authenticate) -> None:
    """The sidebar logout button; logs the logout."""
    username = str(st.session_state.get("username") or "")

    def _on_logout(_details: dict[str, Any]) -> None:
        with get_sessions()() as session:
            accounts.record_logout(session, username=username, now=local_now())
        st.session_state.pop("_login_recorded", None)

    authenticator.logout("退出登录", "sidebar", key="logout_btn", callback=_on_logout)
