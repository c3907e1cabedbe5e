"""接待日: schedule reception sessions with deputies and record the concerns raised there.

``record_concern`` owns one transaction: the case (channel 接待日, numbered by
``services.cases``' gap-free counter) and its link to the session are committed together or
not at all. Nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.dashboard_cache import clear_dashboard_cache
from db.models import (
    Case,
    Community,
    Person,
    ReceptionConcern,
    ReceptionDeputy,
    ReceptionSession,
)
from db.queries.access import refusal
from domain.deadlines import ClockRules
from domain.reference import PersonKind
from domain.roles import Actor, PageKey, can_open
from domain.validation import CaseDraft, as_case, text_error, validate_case
from domain.workflow import Channel
from services.case_numbers import ensure_counter_row
from services.cases import (
    PermissionDenied,
    ValidationFailed,
    add_accepted_case,
    draft_reference_errors,
)

__all__ = [
    "DEPUTY_TITLES",
    "PermissionDenied",
    "ReceptionDraft",
    "ValidationFailed",
    "record_concern",
    "schedule_session",
]

DEPUTY_TITLES: tuple[str, ...] = ("人大代表", "政协委员", "党代表")
"""The titles a deputy (``people.kind`` deputy) receives residents under (``people.title``)."""

MAX_PLACE = 100
MAX_TOPIC = 200


@dataclass
class ReceptionDraft:
    """What the scheduling form submits."""

    community_id: int | None
    held_at: dt.datetime | None
    place: str
    deputy_ids: Sequence[int]
    topic: str = ""


def schedule_session(
    session: Session, *, draft: ReceptionDraft, actor: Actor, now: dt.datetime
) -> ReceptionSession:
    """安排接待日: a session with its deputies. Raises ``ValidationFailed``/``PermissionDenied``."""
    if not can_open(actor.role, PageKey.RECEPTION):
        raise PermissionDenied("您的角色不能安排接待日")
    errors: dict[str, str] = {}
    if draft.community_id is None or session.get(Community, draft.community_id) is None:
        errors["community_id"] = "请选择社区"
    elif refusal(actor, community_id=draft.community_id) is not None:
        errors["community_id"] = "只能安排本社区的接待日"
    if draft.held_at is None:
        errors["held_at"] = "请填写接待时间"
    message = text_error(draft.place, label="接待地点", required=True, limit=MAX_PLACE)
    if message:
        errors["place"] = message
    message = text_error(draft.topic, label="接待主题", required=False, limit=MAX_TOPIC)
    if message:
        errors["topic"] = message
    ids = list(dict.fromkeys(draft.deputy_ids))
    if not ids:
        errors["deputy_ids"] = "请至少选择一名接待的代表委员"
    else:
        kinds = dict(
            session.execute(select(Person.id, Person.kind).where(Person.id.in_(ids))).all()
        )
        if any(kinds.get(i) != PersonKind.DEPUTY.value for i in ids):
            errors["deputy_ids"] = "接待人须为人大代表、政协委员或党代表"
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    assert draft.held_at is not None and draft.community_id is not None
    try:
        reception = ReceptionSession(
            community_id=draft.community_id,
            held_at=draft.held_at,
            place=draft.place.strip(),
            topic=draft.topic.strip() or None,
            created_by_id=actor.user_id,
            created_at=now,
        )
        session.add(reception)
        session.flush()
        session.add_all(ReceptionDeputy(session_id=reception.id, person_id=i) for i in ids)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    clear_dashboard_cache()
    return reception


def record_concern(
    session: Session,
    *,
    session_id: int,
    concern: CaseDraft,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
) -> Case:
    """Register a concern raised at a reception session: a case (接待日) linked to the session.

    The case is accepted now; raises ``ValidationFailed`` (field → Chinese message) or
    ``PermissionDenied``, and then nothing is written.
    """
    if not can_open(actor.role, PageKey.RECEPTION) or not can_open(actor.role, PageKey.INTAKE):
        raise PermissionDenied("您的角色不能登记接待日诉求")
    reception = session.get(ReceptionSession, session_id)
    draft = as_case(concern, channel=Channel.RECEPTION_DAY, accepted_at=now)
    errors = validate_case(draft, now)
    errors.pop("accepted_at", None)
    errors.pop("channel", None)
    if reception is None:
        errors["session_id"] = "请选择接待日"
    elif refusal(actor, community_id=reception.community_id) is not None:
        errors["session_id"] = "该接待日属于其他社区"
    elif reception.held_at.date() > now.date():
        errors["session_id"] = "该接待日尚未到，不能登记诉求"
    cell, found = draft_reference_errors(session, draft, actor)
    errors.update(found)
    elsewhere = (
        cell is not None and reception is not None and cell.community_id != reception.community_id
    )
    if elsewhere and "grid_cell_id" not in found:
        errors["grid_cell_id"] = "所选网格不属于接待日所在社区"
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    assert cell is not None and reception is not None and draft.handling_type is not None
    # Creates the year's counter row in its own short transaction (before anything of ours).
    ensure_counter_row(session, now.year)
    try:
        case = add_accepted_case(
            session,
            draft=draft,
            cell=cell,
            actor=actor,
            now=now,
            rules=rules,
            note=f"接待日（{reception.held_at:%Y-%m-%d} {reception.place}）受理",
            extra_data={"reception_session_id": reception.id},
        )
        session.add(ReceptionConcern(case_id=case.id, session_id=reception.id))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    clear_dashboard_cache()
    return case
