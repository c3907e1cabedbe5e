"""Links between screens: to a case, to a case's 三议, to any registered page.

A page never imports another page: a link is built from the registry (``ui.navigation.PAGES``),
which names each page's module, the same way ``app.py`` builds ``st.navigation``.
"""

from __future__ import annotations

import importlib

import streamlit as st

from domain.roles import Actor, PageKey, can_open
from ui.navigation import PAGES


def case_url(case_id: int) -> str:
    """The URL of the case page for ``case_id`` (for links inside tables and markdown)."""
    return f"/{PageKey.CASE.value}?id={case_id}"


def page_of(key: PageKey) -> st.Page:
    """The registered page ``key`` as an ``st.Page`` (same callable, title and URL as the menu)."""
    spec = next(p for p in PAGES if p.key is key)
    render = importlib.import_module(spec.module).render
    return st.Page(render, title=spec.title, icon=spec.icon, url_path=spec.key.value)


def case_link(case_id: int, label: str) -> None:
    """A link that opens the case page on ``case_id``."""
    st.page_link(page_of(PageKey.CASE), label=label, query_params={"id": str(case_id)})


def deliberation_link(actor: Actor, case_id: int) -> None:
    """A link to the case's 三议 (党小组会 → 支委会 → 党员大会), for roles that may open it."""
    if can_open(actor.role, PageKey.DELIBERATION):
        st.page_link(
            page_of(PageKey.DELIBERATION),
            label="三议 · 民情会诊（党小组会 → 支委会 → 党员大会）",
            icon=":material/groups:",
            query_params={"id": str(case_id)},
        )
