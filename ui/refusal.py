"""A page the user's role may not use, opened by its URL: a Chinese refusal, recorded once.

``app.py`` registers each such page as a hidden route (not in the menu) whose body is this
refusal, so that Streamlit's English 「Page not found … Running the app's main page」 dialog never
appears and the page's own code never runs. The refusal goes to the audit log like any other
out-of-scope request (action ``scope.refused``), once per visit (not again on a rerun).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from config import local_now
from db.queries.access import REFUSED
from domain.roles import Role, can_open
from services.case_events import record_audit
from ui.context import current_actor, get_sessions
from ui.navigation import PAGES, PageSpec

SHOWN = "_refused_page"
"""Session key: the refused page whose refusal the current visit has already recorded."""


def refused_specs(role: Role) -> list[PageSpec]:
    """The registered pages ``role`` may not use (each gets a hidden refusal route)."""
    return [spec for spec in PAGES if not can_open(role, spec.key)]


def refusal_message(spec: PageSpec) -> str:
    """The Chinese refusal of ``spec`` (the page's title, no other content of it)."""
    return f"您的角色无权使用「{spec.title}」页面。"


def show_refusal(spec: PageSpec, home: st.Page | None) -> None:
    """Draw the refusal of ``spec`` with a link back to ``home``; record it once per visit."""
    st.title("无权访问")
    st.error(refusal_message(spec))
    if home is not None:
        st.page_link(home, label="返回首页", icon=":material/home:")
    actor = current_actor()
    if actor is None or st.session_state.get(SHOWN) == spec.key.value:
        return
    with get_sessions()() as session:
        record_audit(
            session, actor, REFUSED, spec.key.value,
            f"试图打开无权使用的页面「{spec.title}」（角色：{actor.role.label}）", local_now(),
        )  # fmt: skip
    st.session_state[SHOWN] = spec.key.value


def refusal_pages(role: Role, home: st.Page | None) -> list[st.Page]:
    """Hidden routes at the URLs of every page ``role`` may not use (its key and its module's
    file name, e.g. /case and /case_detail), each drawing its refusal."""

    def body(spec: PageSpec) -> Callable[[], None]:
        def render() -> None:
            show_refusal(spec, home)

        return render

    return [
        st.Page(body(spec), title="无权访问", url_path=path, visibility="hidden")
        for spec in refused_specs(role)
        for path in dict.fromkeys([spec.key.value, spec.module.split(".")[-1]])
    ]


def forget_refusal() -> None:
    """Called when an allowed page runs: a later visit to a refused page is recorded again."""
    st.session_state.pop(SHOWN, None)
