"""Form helpers: field-level error messages kept in session state across the rerun."""

from __future__ import annotations

import streamlit as st


def field_errors(form: str) -> dict[str, str]:
    """The errors stored for ``form`` by the last submit (field → Chinese message)."""
    return dict(st.session_state.get(f"{form}_errors", {}))


def show_field_error(errors: dict[str, str], field: str) -> None:
    """Show the message for ``field`` right under its widget, if there is one."""
    if field in errors:
        st.error(errors[field], icon="⚠️")
