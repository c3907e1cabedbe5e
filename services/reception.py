"""接待日: schedule reception sessions with deputies and record the concerns raised there.

``record_concern`` owns one transaction: the case (channel 接待日, numbered by
``services.cases``' gap-free counter) and its link to the session are committed together or
not at all. Nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.dashboard_cache import clear_dashboard_cache
from db.models import (
    Case,
    Category,
    Community,
    Person,
    ReceptionConcern,
    ReceptionDeputy,
    ReceptionSession,
)
from domain.deadlines import ClockRules
from domain.kpis import Ratio
from domain.reference import PersonKind
from domain.roles import Actor, PageKey, can_open
from domain.validation import CaseDraft, mask_name, text_error, validate_case
from domain.workflow import (
    CLOSED_WITHOUT_RESULT,
    FINISHED_STATUSES,
    OPEN_STATUSES,
    STATUS_LABELS,
    CaseStatus,
    Channel,
)
from services.cases import (
    PermissionDenied,
    ValidationFailed,
    add_accepted_case,
    draft_reference_errors,
    ensure_counter_row,
)

__all__ = [
    "DEPUTY_TITLES",
    "PermissionDenied",
    "ReceptionCase",
    "ReceptionConcernDraft",
    "ReceptionDraft",
    "SessionRow",
    "ValidationFailed",
    "community_choices",
    "count_sessions",
    "deputy_choices",
    "list_sessions",
    "record_concern",
    "schedule_session",
    "session_cases",
    "session_choices",
]

DEPUTY_TITLES: tuple[str, ...] = ("人大代表", "政协委员", "党代表")
"""The titles a deputy (``people.kind`` deputy) receives residents under (``people.title``)."""

MAX_PLACE = 100
MAX_TOPIC = 200


def community_choices(session: Session) -> dict[int, str]:
    """Communities as id → name, in code order."""
    return dict(
        session.execute(select(Community.id, Community.name).order_by(Community.code)).all()
    )


def session_choices(session: Session, *, limit: int = 50) -> dict[int, str]:
    """Recent reception sessions as id → 「2026-11-24 09:00 · 社区 · 地点」, newest first."""
    rows = session.execute(
        select(
            ReceptionSession.id, ReceptionSession.held_at, Community.name, ReceptionSession.place
        )
        .join(Community, Community.id == ReceptionSession.community_id)
        .order_by(ReceptionSession.held_at.desc(), ReceptionSession.id.desc())
        .limit(limit)
    )
    return {sid: f"{at:%Y-%m-%d %H:%M} · {com} · {place}" for sid, at, com, place in rows}


def deputy_choices(session: Session) -> dict[int, str]:
    """Deputies as id → 「name（title）」."""
    rows = session.execute(
        select(Person.id, Person.name, Person.title)
        .where(Person.kind == PersonKind.DEPUTY.value)
        .order_by(Person.title, Person.name, Person.id)
    )
    return {pid: f"{name}（{title or '代表'}）" for pid, name, title in rows}


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


@dataclass
class ReceptionConcernDraft:
    """A resident's concern raised at a session; it becomes a case with channel 接待日."""

    grid_cell_id: int | None
    category_id: int | None
    handling_type: str | None
    description: str
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    promised_date: dt.date | None = None
    urgent: bool = False
    assignee_id: int | None = None


def _case_draft(concern: ReceptionConcernDraft, now: dt.datetime) -> CaseDraft:
    return CaseDraft(
        channel=Channel.RECEPTION_DAY.value,
        category_id=concern.category_id,
        handling_type=concern.handling_type,
        grid_cell_id=concern.grid_cell_id,
        description=concern.description,
        accepted_at=now,
        reporter_name=concern.reporter_name,
        reporter_phone=concern.reporter_phone,
        anonymous=concern.anonymous,
        promised_date=concern.promised_date,
        urgent=concern.urgent,
        assignee_id=concern.assignee_id,
    )


def record_concern(
    session: Session,
    *,
    session_id: int,
    concern: ReceptionConcernDraft,
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
    draft = _case_draft(concern, now)
    errors = validate_case(draft, now)
    errors.pop("accepted_at", None)
    errors.pop("channel", None)
    if reception is None:
        errors["session_id"] = "请选择接待日"
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


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class SessionRow:
    """A reception session with its deputies and its cases' outcomes (no residents' data)."""

    id: int
    held_at: dt.datetime
    community: str
    place: str
    topic: str
    deputies: str
    cases: int
    open_cases: int
    resolved: Ratio
    """Cases resolved or answered / cases (returned and merged ones left out)."""


def list_sessions(
    session: Session, *, actor: Actor, start: dt.datetime | None = None, limit: int = 100
) -> list[SessionRow]:
    """Reception sessions, newest first, with the outcomes of the cases the actor may see."""
    stmt = (
        select(ReceptionSession, Community.name)
        .join(Community, Community.id == ReceptionSession.community_id)
        .order_by(ReceptionSession.held_at.desc(), ReceptionSession.id.desc())
        .limit(limit)
    )
    if start is not None:
        stmt = stmt.where(ReceptionSession.held_at >= start)
    rows = session.execute(stmt).all()
    ids = [r.id for r, _ in rows]
    deputies: dict[int, list[str]] = {}
    statuses: dict[int, list[str]] = {}
    if ids:
        for sid, name, title in session.execute(
            select(ReceptionDeputy.session_id, Person.name, Person.title)
            .join(Person, Person.id == ReceptionDeputy.person_id)
            .where(ReceptionDeputy.session_id.in_(ids))
            .order_by(Person.name)
        ):
            deputies.setdefault(sid, []).append(f"{name}（{title or '代表'}）")
        for sid, status, cell_id in session.execute(
            select(ReceptionConcern.session_id, Case.status, Case.grid_cell_id)
            .join(Case, Case.id == ReceptionConcern.case_id)
            .where(ReceptionConcern.session_id.in_(ids))
        ):
            if actor.sees_cell(cell_id):
                statuses.setdefault(sid, []).append(status)
    result = []
    for reception, community in rows:
        found = statuses.get(reception.id, [])
        counted = [s for s in found if CaseStatus(s) not in CLOSED_WITHOUT_RESULT]
        result.append(
            SessionRow(
                id=reception.id,
                held_at=reception.held_at,
                community=community,
                place=reception.place,
                topic=reception.topic or "",
                deputies="、".join(deputies.get(reception.id, [])),
                cases=len(found),
                open_cases=sum(1 for s in found if CaseStatus(s) in OPEN_STATUSES),
                resolved=Ratio(
                    sum(1 for s in counted if CaseStatus(s) in FINISHED_STATUSES), len(counted)
                ),
            )
        )
    return result


@dataclass(frozen=True)
class ReceptionCase:
    """A case raised at a session, as the session's list shows it (resident masked)."""

    case_id: int
    case_no: str
    status: str
    category: str
    reporter: str
    description: str


def session_cases(session: Session, *, session_id: int, actor: Actor) -> list[ReceptionCase]:
    """The cases raised at a session that the actor may see; residents' names always masked."""
    rows = session.execute(
        select(Case, Category.name)
        .join(ReceptionConcern, ReceptionConcern.case_id == Case.id)
        .join(Category, Category.id == Case.category_id)
        .where(ReceptionConcern.session_id == session_id)
        .order_by(Case.id)
    ).all()
    return [
        ReceptionCase(
            case_id=case.id,
            case_no=case.case_no,
            status=STATUS_LABELS[CaseStatus(case.status)],
            category=category,
            reporter="匿名" if case.is_anonymous else mask_name(case.reporter_name),
            description=case.description,
        )
        for case, category in rows
        if actor.sees_cell(case.grid_cell_id)
    ]


def count_sessions(session: Session) -> int:
    """How many reception sessions exist."""
    return int(session.scalar(select(func.count()).select_from(ReceptionSession)) or 0)
