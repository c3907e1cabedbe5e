"""The 我的待办 counts in the sidebar, cached briefly; saving or acting on a case clears them."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from config import local_now
from db.queries.todo import TodoCounts, TodoKind, todo_counts
from domain.roles import Actor, PageKey, can_open
from ui.context import get_sessions, get_settings

BADGE_SECONDS = 15


@st.cache_data(ttl=BADGE_SECONDS, show_spinner=False)
def _badge_counts(actor: Actor) -> TodoCounts:
    with get_sessions()() as session:
        return todo_counts(session, actor=actor, now=local_now(), rules=get_settings().clock)


def clear_todo_badge() -> None:
    """Forget the cached sidebar counts (after a case was saved or acted on)."""
    _badge_counts.clear()


def todo_badge(actor: Actor) -> None:
    """Sidebar counts of 我的待办 (drawn into the current container, e.g. ``st.sidebar``).

    The counts run on every page of every user, so they are cached for ``BADGE_SECONDS``;
    saving or acting on a case clears them.
    """
    if not can_open(actor.role, PageKey.TODO):
        return
    try:
        counts = _badge_counts(actor)
    except SQLAlchemyError:
        return  # the badge must never break a page
    st.caption("我的待办：" + " · ".join(f"{k.short_label} {counts.get(k)}" for k in TodoKind))
