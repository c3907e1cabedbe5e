"""民情流水线 entry point: page config, configuration check, login gate, role → navigation.

Every page also guards itself (``ui.context.require_page``): the menu is not the lock.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import streamlit as st

from config import ConfigError, use_local_timezone
from db.queries.users import must_change_password, needs_first_admin
from domain.roles import PageKey, Role, can_open
from ui.account_pages import change_password_page, first_admin_page
from ui.auth import after_login, build_authenticator, login_page, logout_button
from ui.chinese import chinese_chrome
from ui.context import current_actor, get_engine, get_sessions, get_settings
from ui.navigation import PAGES
from ui.refusal import forget_refusal, refusal_pages
from ui.text import show_text_as_typed
from ui.work_calendar import keep_calendar_current

use_local_timezone()  # Streamlit's own "now"/"today" defaults follow the 社区's clock
st.set_page_config(
    page_title="民情流水线", page_icon="🏘️", layout="wide", initial_sidebar_state="auto"
)  # "auto": the menu starts closed on a narrow screen
chinese_chrome()  # Chinese over the controls Streamlit offers no locale for
show_text_as_typed()  # table cells keep typed spaces and line breaks


# Every page URL (the registry's paths and its modules' file names). Before login each of them
# shows the gate's page itself, so Streamlit's English 「Page not found」 never appears and the
# requested URL (path and query, e.g. /case?id=5) is still the URL when the login succeeds.
ROUTES = tuple(
    dict.fromkeys(name for s in PAGES for name in (s.key.value, s.module.split(".")[-1]))
)


def only_page(
    render: Callable[[], None],
    title: str,
    url_path: str,
    *,
    every_url: bool = True,
    refused_for: Role | None = None,
) -> None:
    """Run a single page (hidden navigation) and stop; with ``every_url`` under every page URL.

    Streamlit serves the default page at ``/`` only (a direct ``/<its url_path>`` is 「Page not
    found」), so the page is the default at ``/`` and, under its own path, a second entry.
    With ``refused_for``, the URLs of the other pages that role may use show this page too
    (the viewer's 首页 is the deck), those of the pages it may not use show its refusal.
    """
    main = st.Page(render, title=title, url_path="", default=True)
    allowed = [s.key.value for s in PAGES if refused_for and can_open(refused_for, s.key)]
    paths = dict.fromkeys([url_path, *(ROUTES if every_url else allowed)])
    aliases = [st.Page(render, title=title, url_path=path) for path in paths]
    refused = [] if refused_for is None else refusal_pages(refused_for, main)
    refused = [page for page in refused if page.url_path not in paths]
    chosen = st.navigation([main, *aliases, *refused], position="hidden")
    if chosen not in refused:
        forget_refusal()
    chosen.run()
    st.stop()


def to_page(target: st.Page) -> Callable[[], None]:
    """A page body that switches to ``target`` (an alias URL of it), keeping the query."""

    def switch() -> None:
        st.switch_page(target, query_params=st.query_params.to_dict())

    return switch


try:
    settings = get_settings()
    get_engine()
except ConfigError as exc:
    st.error(f"配置错误：{exc}")
    st.stop()

with get_sessions()() as session:
    if needs_first_admin(session):
        only_page(first_admin_page, "初始化", "setup")

authenticator, credentials = build_authenticator(settings)
authenticator.login(location="unrendered")

actor = None
if st.session_state.get("authentication_status") is True and after_login(authenticator):
    actor = current_actor()

if actor is None:
    only_page(lambda: login_page(authenticator, credentials, settings), "登录", "login")
    raise SystemExit  # unreachable: only_page stops the run

keep_calendar_current()
username = actor.username
with get_sessions()() as session:
    if must_change_password(session, username=username):
        with st.sidebar:
            logout_button(authenticator)
        only_page(lambda: change_password_page(username), "修改密码", "password")

if actor.role is Role.VIEWER or st.query_params.get("mode") == "present":
    present = next((p for p in PAGES if p.key is PageKey.PRESENT), None)
    if present is not None and can_open(actor.role, PageKey.PRESENT):
        module = importlib.import_module(present.module)
        only_page(
            module.render,
            present.title,
            present.key.value,
            every_url=False,
            refused_for=actor.role,
        )

sections: dict[str, list[st.Page]] = {}
for spec in PAGES:
    if not can_open(actor.role, spec.key):
        continue
    module = importlib.import_module(spec.module)
    section = sections.setdefault(spec.section, [])
    # A page's module file name (/case_detail for /case) is a hidden alias that switches to it.
    stem = spec.module.split(".")[-1]
    if len(sections) > 1 or section:
        page = st.Page(module.render, title=spec.title, icon=spec.icon, url_path=spec.key.value)
        section.append(page)
        if stem != spec.key.value:
            section.append(
                st.Page(to_page(page), title=spec.title, url_path=stem, visibility="hidden")
            )
        continue
    # The first page is the default, served at ``/``; its own path (e.g. /home, where
    # Streamlit would say 「Page not found」) is a hidden entry that switches to it.
    home = st.Page(module.render, title=spec.title, icon=spec.icon, url_path="", default=True)
    section += [
        home,
        st.Page(to_page(home), title=spec.title, url_path=spec.key.value, visibility="hidden"),
    ]

# The pages this role may not use: hidden routes (not in the menu) drawing a Chinese refusal,
# so that their URLs show neither the page nor Streamlit's English 「Page not found」 dialog.
first_section = next(iter(sections))
refused = refusal_pages(actor.role, home=sections[first_section][0])
sections[first_section] += refused

with st.sidebar:
    st.markdown("### 民情流水线")
    st.caption(f"{actor.display_name}（{actor.role.label}）")
    importlib.import_module("ui.sidebar").render_sidebar(actor)
    logout_button(authenticator)

chosen = st.navigation(sections, expanded=True)
if chosen not in refused:
    forget_refusal()
chosen.run()
