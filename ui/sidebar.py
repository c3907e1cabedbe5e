"""Sidebar extras shown on every page after login (to-do counts)."""

from __future__ import annotations

from domain.roles import Actor
from ui.todo_badge import todo_badge


def render_sidebar(actor: Actor) -> None:
    """Draw the per-user sidebar widgets."""
    todo_badge(actor)
