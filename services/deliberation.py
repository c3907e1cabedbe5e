"""三议 民情会诊 on a case: record each meeting and, at the 党员大会, the decision.

Each meeting appends a 「三议：会议审议」 event to the case; the 党员大会's decision appends a
「三议：议定责任人和时限」 event that sets the case's assignee and deadline (both shown on the
timeline as changes). The case keeps its state (``domain.workflow.TRANSITIONS``). One
transaction per meeting; the 三议 so far is read in ``db.queries.deliberation``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.dashboard_cache import clear_dashboard_cache
from db.models import Case, Deliberation
from domain.deadlines import end_of
from domain.deliberation import (
    DECIDING_STAGE,
    MeetingDraft,
    Stage,
    validate_meeting,
)
from domain.roles import Actor, PageKey, can_open
from domain.workflow import Action, next_status
from services.case_events import assignee_error, check_scope, new_event, record_change
from services.cases import CaseNotFound, PermissionDenied, StaleCase, ValidationFailed

__all__ = ["MeetingDraft", "record_meeting"]


def _case(session: Session, case_id: int, actor: Actor, now: dt.datetime) -> Case:
    if not can_open(actor.role, PageKey.DELIBERATION):
        raise PermissionDenied("您的角色不能记录三议")
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound("案件不存在")
    check_scope(session, actor, case, now, "记录三议于")
    return case


def record_meeting(
    session: Session,
    *,
    case_id: int,
    draft: MeetingDraft,
    actor: Actor,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Deliberation:
    """Record the case's next 三议 meeting; at the 党员大会 also set 责任人 and 办理时限.

    Raises ``PermissionDenied``, ``CaseNotFound``, ``StaleCase``, ``TransitionError`` (a case
    that is no longer open) or ``ValidationFailed``; in every such case nothing is written.
    """
    try:
        case = _case(session, case_id, actor, now)
        if expected_version is not None and case.version != expected_version:
            raise StaleCase("该案件刚被他人更新，已为您载入最新状态，请确认后重试", case.version)
        next_status(case.status, Action.DELIBERATE)
        held = session.execute(
            select(Deliberation.stage, Deliberation.meeting_date)
            .where(Deliberation.case_id == case.id)
            .order_by(Deliberation.id)
        ).all()
        errors = validate_meeting(
            draft,
            held=[s for s, _ in held],
            last_meeting=held[-1][1] if held else None,
            today=now.date(),
        )
        deciding = draft.stage == DECIDING_STAGE.value
        if deciding:
            message = assignee_error(session, draft.responsible_id)
            if message:
                errors["responsible_id"] = "请选择有效的责任人"
        if errors:
            raise ValidationFailed(errors)
        assert draft.stage is not None and draft.meeting_date is not None
        stage = Stage(draft.stage)
        meeting = Deliberation(
            case_id=case.id,
            stage=stage.value,
            meeting_date=draft.meeting_date,
            attendees=int(draft.attendees or 0),
            minutes=draft.minutes.strip(),
            decision=draft.decision.strip() or None,
            responsible_id=draft.responsible_id if deciding else None,
            due_date=draft.due_date if deciding else None,
            recorded_by_id=actor.user_id,
            recorded_at=now,
        )
        session.add(meeting)
        status = case.status
        note = (
            f"{stage.label}（{draft.meeting_date:%Y-%m-%d}，到会 {meeting.attendees} 人）："
            f"{meeting.minutes}"
        )
        data: dict[str, Any] = {
            "stage": stage.value,
            "meeting_date": draft.meeting_date.isoformat(),
            "attendees": meeting.attendees,
        }
        session.add(new_event(case, actor, now, Action.DELIBERATE, status, status, note, data))
        if deciding:
            assert draft.due_date is not None
            next_status(case.status, Action.DELIBERATION_DECISION)
            decided: dict[str, Any] = {"stage": stage.value}
            record_change(case, "assignee_id", draft.responsible_id, decided)
            record_change(case, "deadline_at", end_of(draft.due_date), decided)
            session.add(
                new_event(
                    case,
                    actor,
                    now,
                    Action.DELIBERATION_DECISION,
                    status,
                    status,
                    meeting.decision,
                    decided,
                )
            )
        case.updated_at = now  # bumps the version: a page holding the old one must reload
        session.flush()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    clear_dashboard_cache()
    return meeting
