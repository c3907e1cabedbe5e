"""What every case-action handler shares: its result (``Step``), its signature, and field readers.

A handler reads the action's form fields with these readers; each raises ``ValidationFailed``
with a Chinese message at the field, so that nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from db.models import Case
from domain.deadlines import ClockRules
from domain.errors import ValidationFailed
from domain.roles import Actor
from domain.validation import MAX_NOTE, text_error

__all__ = [
    "ActionContext",
    "Handler",
    "Step",
    "choice_field",
    "date_field",
    "note_field",
    "text_field",
]


@dataclass
class Step:
    """What a handler decided: a note for the event and the changed fields for its ``data``."""

    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionContext:
    """What a handler works on: the case, who acts and when, the clock rules and the form's fields."""

    session: Session
    case: Case
    actor: Actor
    now: dt.datetime
    rules: ClockRules
    fields: dict[str, Any]


Handler = Callable[[ActionContext], Step]


def text_field(fields: dict[str, Any], key: str, label: str, *, required: bool, limit: int) -> str:
    """The trimmed text of ``key``; ``ValidationFailed`` at the field if missing or too long."""
    value = str(fields.get(key) or "").strip()
    message = text_error(value, label=label, required=required, limit=limit)
    if message:
        raise ValidationFailed({key: message})
    return value


def note_field(fields: dict[str, Any], *, required: bool = False, label: str = "说明") -> str:
    """The step's note (说明), optional unless ``required``."""
    return text_field(fields, "note", label, required=required, limit=MAX_NOTE)


def date_field(fields: dict[str, Any], key: str, label: str) -> dt.date:
    """A date given as a date, datetime or ISO text; ``ValidationFailed`` at the field if none."""
    value = fields.get(key)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationFailed({key: f"请填写{label}"})


def choice_field(fields: dict[str, Any], key: str, label: str, enum: type[Any]) -> Any:
    """The member of ``enum`` chosen at ``key``; ``ValidationFailed`` at the field if none."""
    value = fields.get(key)
    try:
        return enum(value)
    except ValueError:
        raise ValidationFailed({key: f"请选择{label}"}) from None
