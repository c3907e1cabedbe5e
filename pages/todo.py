"""我的待办: my open cases, due within one working day, overdue, awaiting follow-up (待回访).

The sidebar counts are ``ui.todo_badge``'s; ``app.py`` draws them on every page.
"""

from __future__ import annotations

import streamlit as st

from config import local_now
from db.queries.todo import TodoKind, todo_counts, todo_lists
from domain.roles import PageKey
from ui.case_table import case_table
from ui.context import get_sessions, get_settings, require_page

LIST_LIMIT = 200


def render() -> None:
    """Draw the to-do lists."""
    actor = require_page(PageKey.TODO)
    now = local_now()
    rules = get_settings().clock
    with get_sessions()() as session:
        counts = todo_counts(session, actor=actor, now=now, rules=rules)
        lists = todo_lists(session, actor=actor, now=now, rules=rules, limit=LIST_LIMIT)
    st.title("我的待办")
    # The counts are the tabs' own labels: on a phone the first screen shows the list, not tiles.
    tabs = st.tabs([f"{kind.short_label}（{counts.get(kind):,}）" for kind in TodoKind])
    for tab, kind in zip(tabs, TodoKind, strict=True):
        with tab:
            rows = lists[kind]
            if counts.get(kind) > len(rows):
                st.caption(f"仅列出最紧急的 {len(rows)} 件。")
            case_table(rows, key=f"todo_{kind.value}")
    st.caption(
        "在办：分派给我的未办结案件"
        + ("及我负责网格内的未办结案件" if actor.grid_cell_ids is not None else "")
        + "；临期：一个工作日内到期；待回访：已反馈居民、尚未回访。"
    )


if __name__ == "__main__":  # opened directly in Streamlit's legacy pages/ mode: run the gate
    from ui.direct import run_app_instead

    run_app_instead()
