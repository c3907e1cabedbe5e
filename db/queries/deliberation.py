"""三议 of one case as the 三议 page reads it: the meetings held and the one due next."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Case, Deliberation, User
from db.queries.access import check_case
from domain.deliberation import Stage, next_stage
from domain.errors import CaseNotFound, PermissionDenied
from domain.roles import Actor, PageKey, can_open
from domain.workflow import STATUS_LABELS, Action, CaseStatus, allowed_actions


@dataclass(frozen=True)
class MeetingView:
    """One 三议 meeting as the page lists it."""

    stage: str
    meeting_date: dt.date
    attendees: int
    minutes: str
    decision: str
    responsible: str
    due_date: dt.date | None


@dataclass(frozen=True)
class DeliberationView:
    """A case's 三议 so far and the meeting due next (None when all three were held)."""

    case_id: int
    case_no: str
    version: int
    status: str
    is_open: bool
    description: str
    meetings: list[MeetingView]
    next_stage: Stage | None


def deliberation_view(session: Session, *, case_id: int, actor: Actor) -> DeliberationView:
    """The 三议 of one case the actor may see."""
    if not can_open(actor.role, PageKey.DELIBERATION):
        raise PermissionDenied("您的角色不能记录三议")
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound("案件不存在")
    check_case(actor, case)
    meetings = session.scalars(
        select(Deliberation).where(Deliberation.case_id == case.id).order_by(Deliberation.id)
    ).all()
    wanted = {m.responsible_id for m in meetings if m.responsible_id is not None}
    names = (
        dict(
            session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
            .tuples()
            .all()
        )
        if wanted
        else {}
    )
    status = CaseStatus(case.status)
    return DeliberationView(
        case_id=case.id,
        case_no=case.case_no,
        version=case.version,
        status=STATUS_LABELS[status],
        is_open=Action.DELIBERATE in allowed_actions(status),
        description=case.description,
        meetings=[
            MeetingView(
                stage=Stage(m.stage).label,
                meeting_date=m.meeting_date,
                attendees=m.attendees,
                minutes=m.minutes,
                decision=m.decision or "",
                responsible=names.get(m.responsible_id, "") if m.responsible_id else "",
                due_date=m.due_date,
            )
            for m in meetings
        ],
        next_stage=next_stage([m.stage for m in meetings]),
    )
