"""Form helpers: field-level error messages kept in session state across the rerun."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TypeVar

import streamlit as st

from domain.roles import Actor

K = TypeVar("K", bound=Hashable)


def label_of(choices: Mapping[K, str]) -> Callable[[K], str]:
    """A widget's ``format_func`` showing each option's label ("" for a value no longer offered)."""
    return lambda key: choices.get(key, "")


def field_errors(form: str) -> dict[str, str]:
    """The errors stored for ``form`` by the last submit (field → Chinese message)."""
    return dict(st.session_state.get(f"{form}_errors", {}))


def keep_errors(form: str, errors: dict[str, str]) -> None:
    """A refused submit: keep the messages for the rerun and drop an earlier success note."""
    st.session_state[f"{form}_errors"] = errors
    st.session_state.pop(f"{form}_saved", None)


def mark_saved(form: str, keys: Iterable[str], note: object = True) -> None:
    """A saved submit: drop the errors, keep ``note`` for the success message, clear ``keys``."""
    st.session_state.pop(f"{form}_errors", None)
    st.session_state[f"{form}_saved"] = note
    for key in keys:
        st.session_state.pop(key, None)


def show_field_error(errors: dict[str, str], field: str) -> None:
    """Show the message for ``field`` right under its widget, if there is one."""
    if field in errors:
        st.error(errors[field], icon="⚠️")


def household_picker(
    label: str, households: dict[int, str], *, cell_id: int | None, key: str
) -> None:
    """A household selectbox for the chosen grid cell; a choice from another cell is dropped."""
    if st.session_state.get(key) not in households:
        st.session_state.pop(key, None)
    st.selectbox(
        label,
        list(households),
        format_func=label_of(households),
        index=None,
        placeholder="先选择网格，再选择住户" if cell_id is None else "选择住户",
        key=key,
    )


def cell_with_households(
    label: str, cells: dict[int, str], *, key: str, errors: dict[str, str], actor: Actor
) -> tuple[int | None, dict[int, str]]:
    """The grid-cell picker of a visit or assistance form, and that cell's households."""
    from db.queries.visits import household_choices
    from ui.context import get_sessions

    st.selectbox(
        label,
        list(cells),
        format_func=label_of(cells),
        index=None,
        placeholder="请选择网格",
        key=key,
    )
    show_field_error(errors, "grid_cell_id")
    cell_id = st.session_state.get(key)
    if cell_id is None:
        return None, {}
    with get_sessions()() as session:
        return cell_id, household_choices(session, grid_cell_id=cell_id, actor=actor)
