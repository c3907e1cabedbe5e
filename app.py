"""民情流水线 entry point: page config, configuration check, login gate, role → navigation.

Every page also guards itself (``ui.context.require_page``): the menu is not the lock.
"""

from __future__ import annotations

import importlib

import streamlit as st

from config import ConfigError
from domain.roles import PageKey, Role, can_open
from ui.auth import after_login, build_authenticator, login_page, logout_button
from ui.context import current_actor, get_engine, get_settings
from ui.navigation import PAGES

st.set_page_config(page_title="民情流水线", page_icon="🏘️", layout="wide")


def _fail(message: str) -> None:
    st.error(message)
    st.stop()


try:
    settings = get_settings()
    get_engine()
except ConfigError as exc:
    _fail(f"配置错误：{exc}")

authenticator, credentials = build_authenticator(settings)
authenticator.login(location="unrendered")

actor = None
if st.session_state.get("authentication_status") is True and after_login(authenticator):
    actor = current_actor()

if actor is None:
    st.navigation(
        [
            st.Page(
                lambda: login_page(authenticator, credentials, settings),
                title="登录",
                url_path="login",
                default=True,
            )
        ],
        position="hidden",
    ).run()
    st.stop()

if actor.role is Role.VIEWER or st.query_params.get("mode") == "present":
    present = next((p for p in PAGES if p.key is PageKey.PRESENT), None)
    if present is not None and can_open(actor.role, PageKey.PRESENT):
        module = importlib.import_module(present.module)
        st.navigation(
            [st.Page(module.render, title=present.title, url_path=present.key.value, default=True)],
            position="hidden",
        ).run()
        st.stop()

sections: dict[str, list[st.Page]] = {}
first = True
for spec in PAGES:
    if not can_open(actor.role, spec.key):
        continue
    module = importlib.import_module(spec.module)
    sections.setdefault(spec.section, []).append(
        st.Page(
            module.render, title=spec.title, icon=spec.icon, url_path=spec.key.value, default=first
        )
    )
    first = False

if not sections:
    st.warning("您的角色暂无可用页面，请联系管理员。")
    logout_button(authenticator)
    st.stop()

with st.sidebar:
    st.markdown("### 民情流水线")
    st.caption(f"{actor.display_name}（{actor.role.label}）")
    badge = importlib.import_module("ui.sidebar")
    badge.render_sidebar(actor)
    logout_button(authenticator)

st.navigation(sections).run()
