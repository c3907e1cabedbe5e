"""The 更正 expander under a list of visits or assistance records: pick one, edit it, save."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from domain.errors import PermissionDenied, ValidationFailed
from ui.forms import keep_errors, label_of


def pick_record(form: str, title: str, labels: Mapping[int, str], key: str) -> int | None:
    """The expander's record picker (and the last save's note); None until a record is chosen."""
    saved = st.session_state.get(f"{form}_saved")
    if saved:
        st.success(saved)
    return st.selectbox(
        title,
        list(labels),
        format_func=label_of(dict(labels)),
        index=None,
        placeholder="请选择",
        key=key,
    )


def start_fields(keys: Mapping[str, Any]) -> None:
    """Put the chosen record's stored values into its (record-specific) widget keys once."""
    for key, value in keys.items():
        st.session_state.setdefault(key, value)


def save_correction(form: str, save: Callable[[], Mapping[str, Any]]) -> None:
    """Submit callback body: run ``save`` (a service's ``correct_*``), keep its errors or a note.

    Field messages are kept under their fields; a refusal (out of scope) under ``record``.
    """
    try:
        changed = save()
    except ValidationFailed as exc:
        keep_errors(form, dict(exc.errors))
        return
    except PermissionDenied as exc:
        keep_errors(form, {"record": str(exc)})
        return
    st.session_state.pop(f"{form}_errors", None)
    st.session_state[f"{form}_saved"] = (
        f"已更正 {len(changed)} 项，修改已记入历史。" if changed else "没有修改任何内容。"
    )
