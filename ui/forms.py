"""Form helpers: field-level error messages kept in session state across the rerun, and form
rounds (a saved form comes back empty, and its submit token is spent).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class FormRound:
    """One filling of a form: its widget keys and the token its 保存 sends to the service.

    Removing a widget's key does not empty the widget in the browser (the browser keeps and
    resends the old choice), so a saved form starts a new round whose widgets have new keys.
    Round 0 keeps the plain keys (``vi_notes``); round n appends ``.n``.
    """

    form: str
    prefix: str
    number: int
    token: str

    def key(self, name: str) -> str:
        """The widget key of field ``name`` in this round."""
        return f"{self.prefix}{name}" if self.number == 0 else f"{self.prefix}{name}.{self.number}"


def form_round(form: str, prefix: str) -> FormRound:
    """The current round of ``form`` (widget keys ``prefix`` + name), with its submit token."""
    state = st.session_state
    number = int(state.setdefault(f"{form}_round", 0))
    token = str(state.setdefault(f"{form}_token.{number}", uuid.uuid4().hex))
    return FormRound(form, prefix, number, token)


def next_round(done: FormRound, note: object) -> None:
    """A saved submit: drop the errors, keep ``note`` for the success message (and a toast),
    and start a new, empty round of the form."""
    state = st.session_state
    state.pop(f"{done.form}_errors", None)
    state[f"{done.form}_saved"] = note
    state[f"{done.form}_toast"] = True
    state[f"{done.form}_round"] = max(done.number, int(state.get(f"{done.form}_round", 0))) + 1


def refuse_repeat(done: FormRound) -> None:
    """A second submit of an already saved round: nothing was saved, say so."""
    st.session_state.pop(f"{done.form}_errors", None)
    st.session_state[f"{done.form}_repeat"] = True


def saved_notice(form: str, message: str) -> None:
    """The success (or 「已保存，未重复提交」) note where the worker is: a toast, and a message
    right above the 保存 button (call it inside the form, before the button)."""
    state = st.session_state
    if state.pop(f"{form}_repeat", False):
        st.info("已保存，未重复提交。", icon="ℹ️")
        st.toast("已保存，未重复提交。")
        return
    if state.get(f"{form}_saved") is None:
        return
    st.success(message, icon="✅")
    if state.pop(f"{form}_toast", False):
        st.toast(message, icon="✅")


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
