"""Sidebar extras shown on every page after login (to-do counts)."""

from __future__ import annotations

from domain.roles import Actor


def render_sidebar(actor: Actor) -> None:
    """Draw the per-user sidebar widgets; pages register theirs here."""
    try:
        from pages.todo import todo_badge
    except ImportError:  # the to-do page is optional
        return
    todo_badge(actor)
