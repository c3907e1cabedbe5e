"""The way into the 初始化向导 while the 街道 is not set up (shown to an admin on the home page)."""

from __future__ import annotations

import streamlit as st

from db.queries.territory_admin import needs_setup
from domain.roles import Actor, PageKey, can_open
from ui.context import get_sessions
from ui.links import page_of


def setup_hint(actor: Actor) -> bool:
    """For an admin of a database without any 社区: a notice with a link to 初始化向导; True if shown."""
    if not can_open(actor.role, PageKey.SETUP):
        return False
    with get_sessions()() as session:
        if not needs_setup(session):
            return False
    st.info(
        "系统中还没有社区和网格。请先完成初始化：街道与社区、网格、人员、住户、服务阵地、用户。"
    )
    st.page_link(page_of(PageKey.SETUP), label="开始初始化向导", icon=":material/flag:")
    return True
