"""帮扶: record assistance for a beneficiary of a target group (五彩连心卡, 低保户, 特困党员).

The list and the totals by kind and by group are read in ``db.queries.assistance``.

``record_assistance`` owns one transaction; nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from db.models import Assistance, Household
from domain.roles import Actor, PageKey, can_open
from domain.validation import AssistanceDraft, validate_assistance
from services.cases import PermissionDenied, ValidationFailed
from services.form_tokens import AlreadySaved, claim_token, refuse_spent_token
from services.history import apply_changes, check_record_cell
from services.territory import check_place
from services.transactions import commit_write

__all__ = [
    "AlreadySaved",
    "PermissionDenied",
    "ValidationFailed",
    "correct_assistance",
    "record_assistance",
]


def _assistance_errors(
    session: Session, draft: AssistanceDraft, actor: Actor, now: dt.datetime
) -> tuple[dict[str, str], Household | None]:
    """Field → Chinese message for the draft, and the chosen household (if any)."""
    place = check_place(
        session,
        grid_cell_id=draft.grid_cell_id,
        household_id=draft.household_id,
        actor=actor,
        out_of_scope="只能记录您负责网格内的帮扶",
    )
    return {**validate_assistance(draft, now), **place.errors}, place.household


def _assistance_fields(draft: AssistanceDraft, household: Household | None) -> dict[str, Any]:
    """The stored values of a validated assistance draft (new or corrected)."""
    return {
        "grid_cell_id": draft.grid_cell_id,
        "household_id": draft.household_id,
        "beneficiary": draft.beneficiary.strip() or (household.head_name if household else ""),
        "target_group": str(draft.target_group),
        "kind": str(draft.kind),
        "given_at": draft.given_at,
        "persons_helped": int(draft.persons_helped or 0),
        "value_yuan": None
        if draft.value_yuan is None
        else Decimal(str(draft.value_yuan)).quantize(Decimal("0.01")),
        "helpers": draft.helpers.strip(),
        "notes": draft.notes.strip() or None,
    }


def record_assistance(
    session: Session,
    *,
    draft: AssistanceDraft,
    actor: Actor,
    now: dt.datetime,
    token: str | None = None,
) -> Assistance:
    """帮扶: validate and save one assistance record (a grid worker only in their own cells).

    Raises ``ValidationFailed`` (field → Chinese message), ``PermissionDenied``, or
    ``AlreadySaved`` when the form's ``token`` was saved before; then nothing is written.
    """
    if not can_open(actor.role, PageKey.ASSISTANCE):
        raise PermissionDenied("您的角色不能记录帮扶")
    refuse_spent_token(session, form="assistance", token=token)
    errors, household = _assistance_errors(session, draft, actor, now)
    if errors:
        session.rollback()
        raise ValidationFailed(errors)

    def write() -> Assistance:
        record = Assistance(**_assistance_fields(draft, household), recorded_by_id=actor.user_id)
        session.add(record)
        session.flush()
        claim_token(
            session,
            form="assistance",
            token=token,
            username=actor.username,
            target=f"帮扶 #{record.id}",
            now=now,
        )
        return record

    return commit_write(session, write)


def correct_assistance(
    session: Session,
    *,
    record_id: int,
    draft: AssistanceDraft,
    actor: Actor,
    now: dt.datetime,
) -> dict[str, Any]:
    """更正: change a saved assistance record under the rules of a new one, with its history.

    The record must lie in the actor's 社区 and cells, before and after. Returns the changed
    fields' new values (each change is a ``RecordChange`` of entity "assistance"). Raises
    ``ValidationFailed``, ``PermissionDenied`` or ``OutOfScope`` (recorded); then nothing is
    written.
    """
    if not can_open(actor.role, PageKey.ASSISTANCE):
        raise PermissionDenied("您的角色不能更正帮扶记录")
    record = session.get(Assistance, record_id)
    if record is None:
        session.rollback()
        raise ValidationFailed({"record_id": "帮扶记录不存在"})
    check_record_cell(
        session, actor, grid_cell_id=record.grid_cell_id, target=f"帮扶 #{record_id}", now=now
    )
    errors, household = _assistance_errors(session, draft, actor, now)
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    fields = _assistance_fields(draft, household)
    return commit_write(
        session,
        lambda: apply_changes(
            session, record, fields, entity="assistance", username=actor.username, now=now
        ),
    )
