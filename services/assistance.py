"""帮扶: record assistance for a beneficiary of a target group (五彩连心卡, 低保户, 特困党员).

The list and the totals by kind and by group are read in ``db.queries.assistance``.

``record_assistance`` owns one transaction; nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from db.dashboard_cache import clear_dashboard_cache
from db.models import Assistance
from domain.roles import Actor, PageKey, can_open
from domain.validation import AssistanceDraft, validate_assistance
from services.cases import PermissionDenied, ValidationFailed
from services.form_tokens import AlreadySaved, claim_token, refuse_spent_token
from services.territory import check_place

__all__ = ["AlreadySaved", "PermissionDenied", "ValidationFailed", "record_assistance"]


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
    place = check_place(
        session,
        grid_cell_id=draft.grid_cell_id,
        household_id=draft.household_id,
        actor=actor,
        out_of_scope="只能记录您负责网格内的帮扶",
    )
    errors = {**validate_assistance(draft, now), **place.errors}
    cell, household = place.cell, place.household
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    assert cell is not None
    beneficiary = draft.beneficiary.strip() or (household.head_name if household else "")
    try:
        record = Assistance(
            grid_cell_id=cell.id,
            household_id=draft.household_id,
            beneficiary=beneficiary,
            target_group=str(draft.target_group),
            kind=str(draft.kind),
            given_at=draft.given_at,
            persons_helped=int(draft.persons_helped or 0),
            value_yuan=None
            if draft.value_yuan is None
            else Decimal(str(draft.value_yuan)).quantize(Decimal("0.01")),
            helpers=draft.helpers.strip(),
            notes=draft.notes.strip() or None,
            recorded_by_id=actor.user_id,
        )
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
        session.commit()
    except BaseException:
        session.rollback()
        raise
    clear_dashboard_cache()
    return record
