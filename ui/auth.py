"""The login gate: streamlit-authenticator over users read from the database on every run.

Every login is also a server-side session (``services.sessions``): the password login records
one keyed by the SHA-256 of the cookie it issues, a login by cookie (a reload, another tab) finds
its row by the same hash, and every run checks the row is live. A revoked or unknown session —
after logout, a password change, 停用, 强制下线 or the idle timeout — gets the login form, even
with a valid cookie copied from before.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
import streamlit_authenticator as stauth

from config import DEMO_PASSWORD, Settings, local_now
from db.queries.users import login_credentials
from services import accounts, sessions
from ui.context import get_sessions, get_settings

SESSION_KEY = "_minqing_session_id"
"""``st.session_state`` key of this browser session's server-side session id."""
ENDED_KEY = "_minqing_session_ended"
"""Why the last session ended (shown on the login form until the next login)."""

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
            ended = st.session_state.get(ENDED_KEY)  # kept until the next login: the cookie's
            if ended:  # deletion reruns the page at once
                st.warning(f"登录已结束（{ended}），请重新登录。")
            st.info("请输入用户名和密码登录。")
        elif status is True:
            _start_session(authenticator)
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


def _start_session(authenticator: stauth.Authenticate) -> None:
    """After a password login: record the session under the hash of the cookie just issued."""
    username = str(st.session_state.get("username") or "")
    model = authenticator.cookie_controller.cookie_model
    # The cookie the browser is being sent (streamlit-authenticator 0.4.2 encodes it from the
    # username and ``exp_date``); without a cookie (expiry 0) the session lives in this tab only.
    token = model._token_encode() if model.exp_date else None
    session_id = sessions.session_id_of(token) if token else sessions.new_session_id()
    with get_sessions()() as session:
        sessions.start_session(session, session_id=session_id, username=username, now=local_now())
    st.session_state[SESSION_KEY] = session_id
    st.session_state.pop(ENDED_KEY, None)


def _cookie_session_id() -> str | None:
    """The session id of the login cookie this browser sent, if any."""
    token = st.context.cookies.get(get_settings().cookie_name)
    return sessions.session_id_of(token) if token else None


def after_login(authenticator: stauth.Authenticate) -> bool:
    """Every run of an authenticated session: is its server-side session live? False (and logged
    out, with the reason kept for the login form) if not; records the login once."""
    username = str(st.session_state.get("username") or "")
    now = local_now()
    session_id = st.session_state.get(SESSION_KEY) or _cookie_session_id()
    with get_sessions()() as session:
        ended: sessions.EndReason | None = sessions.EndReason.UNKNOWN
        if session_id:
            idle = get_settings().session_idle_minutes
            ended = sessions.check_session(
                session, session_id=session_id, username=username, now=now, idle_minutes=idle
            )
        if ended is not None:
            st.session_state.pop(SESSION_KEY, None)
            st.session_state.pop("_login_recorded", None)
            st.session_state[ENDED_KEY] = ended.label
            authenticator.logout(location="unrendered")
            return False
        st.session_state[SESSION_KEY] = session_id
        if st.session_state.get("_login_recorded") != username:
            accounts.record_success(session, username=username, now=now)
            st.session_state["_login_recorded"] = username
    return True


def logout_button(authenticator: stauth.Authenticate) -> None:
    """The sidebar logout button: ends every session of the user (all devices) and logs it."""
    username = str(st.session_state.get("username") or "")

    def _on_logout(_details: dict[str, Any]) -> None:
        with get_sessions()() as session:
            sessions.logout(session, username=username, now=local_now())
        st.session_state.pop("_login_recorded", None)
        st.session_state.pop(SESSION_KEY, None)

    authenticator.logout("退出登录", "sidebar", key="logout_btn", callback=_on_logout)
