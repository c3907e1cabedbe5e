"""The edit history of base data: one RecordChange per create, edit or retirement."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from db.models import RecordChange
from db.queries.access import check_cell
from domain.errors import OutOfScope
from domain.roles import Actor
from services.case_events import record_refusal


def _as_json(fields: Mapping[str, Any] | None) -> str | None:
    if fields is None:
        return None
    return json.dumps(dict(fields), ensure_ascii=False, sort_keys=True, default=str)


def record_change(
    session: Session,
    *,
    entity: str,
    entity_id: int,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    username: str,
    now: dt.datetime,
) -> RecordChange:
    """Append who changed which record when, with the changed fields before and after (JSON).

    The caller owns the transaction; dates and other non-JSON values are stored as text.
    """
    change = RecordChange(
        at=now,
        username=username,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=_as_json(before),
        after=_as_json(after),
    )
    session.add(change)
    return change


def apply_changes(
    session: Session,
    record: Any,
    values: Mapping[str, Any],
    *,
    entity: str,
    username: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """Set the ``values`` that differ on ``record`` and append one "update" change of them.

    Returns the changed fields' new values (empty: nothing changed, nothing recorded). The caller
    owns the transaction; the ORM flush keeps the rollups exact.
    """
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in values.items():
        if getattr(record, key) != value:
            before[key], after[key] = getattr(record, key), value
            setattr(record, key, value)
    if after:
        record_change(
            session,
            entity=entity,
            entity_id=record.id,
            action="update",
            before=before,
            after=after,
            username=username,
            now=now,
        )
    return after


def check_record_cell(
    session: Session, actor: Actor, *, grid_cell_id: int, target: str, now: dt.datetime
) -> None:
    """Refuse a correction of a record outside the actor's 社区 and cells (``OutOfScope``).

    The refusal is recorded in the audit log after the session's pending changes are rolled back.
    """
    try:
        check_cell(session, actor=actor, grid_cell_id=grid_cell_id, target=target)
    except OutOfScope as refused:
        session.rollback()
        record_refusal(session, actor, refused, "更正", now)
        raise
