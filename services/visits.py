"""走访: record a home visit and the concerns found on it (reads: ``db.queries.visits``).

``record_visit`` owns one transaction: the visit and every concern found (each a case with
channel 入户走访 linked by ``cases.visit_id``) are committed together or not at all. Case
numbers come from ``services.cases``' gap-free counter; nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Case, Category, GridCell, Visit
from domain.deadlines import ClockRules
from domain.roles import Actor, PageKey, can_open
from domain.validation import (
    CaseDraft,
    VisitDraft,
    as_case,
    validate_case,
    validate_visit,
)
from domain.workflow import Channel
from services.case_events import assignee_error
from services.case_numbers import ensure_counter_row
from services.cases import PermissionDenied, ValidationFailed, add_accepted_case
from services.form_tokens import AlreadySaved, claim_token, refuse_spent_token
from services.history import apply_changes, check_record_cell
from services.territory import check_place
from services.transactions import commit_write

__all__ = [
    "AlreadySaved",
    "PermissionDenied",
    "ValidationFailed",
    "concern_field",
    "correct_visit",
    "record_visit",
]

MAX_CONCERNS = 10


def concern_field(index: int, name: str) -> str:
    """The error key of field ``name`` of the ``index``-th concern (0-based)."""
    return f"concerns.{index}.{name}"


def _case_draft(concern: CaseDraft, visit: VisitDraft) -> CaseDraft:
    """A concern found on a visit is a case accepted in the visit's cell at the visit's time."""
    return as_case(
        concern,
        channel=Channel.HOME_VISIT,
        accepted_at=visit.visited_at,
        grid_cell_id=visit.grid_cell_id,
    )


def _visit_fields(draft: VisitDraft) -> dict[str, Any]:
    """The stored values of a validated visit draft (new or corrected)."""
    return {
        "grid_cell_id": draft.grid_cell_id,
        "household_id": draft.household_id,
        "building": draft.building.strip() or None,
        "visited_at": draft.visited_at,
        "visitors": draft.visitors.strip(),
        "people_met": int(draft.people_met or 0),
        "notes": draft.notes.strip() or None,
    }


def _visit_errors(
    session: Session,
    draft: VisitDraft,
    concerns: Sequence[CaseDraft],
    actor: Actor,
    now: dt.datetime,
) -> dict[str, str]:
    place = check_place(
        session,
        grid_cell_id=draft.grid_cell_id,
        household_id=draft.household_id,
        actor=actor,
        out_of_scope="只能记录您负责网格内的走访",
    )
    errors = {**validate_visit(draft, now), **place.errors}
    if len(concerns) > MAX_CONCERNS:
        errors["concerns"] = f"一次走访最多登记 {MAX_CONCERNS} 条问题"
    categories = {
        cid: active for cid, active in session.execute(select(Category.id, Category.is_active))
    }
    for i, concern in enumerate(concerns):
        found = validate_case(_case_draft(concern, draft), now)
        # The visit's own fields already carry these messages.
        for shared in ("grid_cell_id", "accepted_at", "channel"):
            found.pop(shared, None)
        if concern.category_id is not None and not categories.get(concern.category_id):
            found["category_id"] = "所选类别不存在或已停用"
        message = assignee_error(session, concern.assignee_id)
        if message:
            found["assignee_id"] = message
        errors.update({concern_field(i, name): text for name, text in found.items()})
    return errors


def _new_case(
    session: Session,
    *,
    draft: CaseDraft,
    cell: GridCell,
    visit: Visit,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
) -> Case:
    """Add one validated concern as a case of the visit, inside the caller's transaction."""
    return add_accepted_case(
        session,
        draft=draft,
        cell=cell,
        actor=actor,
        now=now,
        rules=rules,
        household_id=visit.household_id,
        visit_id=visit.id,
        note="入户走访发现",
        extra_data={"visit_id": visit.id},
    )


def record_visit(
    session: Session,
    *,
    draft: VisitDraft,
    concerns: Sequence[CaseDraft] = (),
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    token: str | None = None,
) -> tuple[Visit, list[Case]]:
    """走访: save the visit and its concerns (each a case) in one transaction.

    Raises ``ValidationFailed`` (field → Chinese message; concern fields are keyed by
    ``concern_field``), ``PermissionDenied``, or ``AlreadySaved`` when the form's ``token``
    was saved before; in each case nothing is written.
    """
    if not can_open(actor.role, PageKey.VISITS):
        raise PermissionDenied("您的角色不能记录走访")
    refuse_spent_token(session, form="visit", token=token)
    concerns = [c for c in concerns if c.description.strip() or c.category_id is not None]
    errors = _visit_errors(session, draft, concerns, actor, now)
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    cell = session.get(GridCell, draft.grid_cell_id)
    assert cell is not None
    if concerns:
        # Creates the year's counter row in its own short transaction (before anything of ours).
        ensure_counter_row(session, draft.visited_at.year)

    def write() -> tuple[Visit, list[Case]]:
        visit = Visit(**_visit_fields(draft), recorded_by_id=actor.user_id)
        session.add(visit)
        session.flush()
        cases = [
            _new_case(
                session,
                draft=_case_draft(concern, draft),
                cell=cell,
                visit=visit,
                actor=actor,
                now=now,
                rules=rules,
            )
            for concern in concerns
        ]
        claim_token(
            session,
            form="visit",
            token=token,
            username=actor.username,
            target=f"走访 #{visit.id}",
            now=now,
        )
        return visit, cases

    return commit_write(session, write)


def correct_visit(
    session: Session,
    *,
    visit_id: int,
    draft: VisitDraft,
    actor: Actor,
    now: dt.datetime,
) -> dict[str, Any]:
    """更正: change a saved visit's fields under the rules of a new visit, with its history.

    The visit must lie in the actor's 社区 and cells, before and after. Returns the changed
    fields' new values (each change is a ``RecordChange`` of entity "visit"). Raises
    ``ValidationFailed``, ``PermissionDenied`` or ``OutOfScope`` (recorded); then nothing is
    written. The concerns found on the visit are cases and keep their own records.
    """
    if not can_open(actor.role, PageKey.VISITS):
        raise PermissionDenied("您的角色不能更正走访")
    visit = session.get(Visit, visit_id)
    if visit is None:
        session.rollback()
        raise ValidationFailed({"visit_id": "走访记录不存在"})
    check_record_cell(
        session, actor, grid_cell_id=visit.grid_cell_id, target=f"走访 #{visit_id}", now=now
    )
    errors = _visit_errors(session, draft, (), actor, now)
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    fields = _visit_fields(draft)
    return commit_write(
        session,
        lambda: apply_changes(
            session, visit, fields, entity="visit", username=actor.username, now=now
        ),
    )
