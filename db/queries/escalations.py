"""上报 and 上级转办 reads: the 街道 staff's queue, cases with an outside unit, the directory of
outside units, and the 回单 sheet of forwarded cases.

Every case list is narrowed to the actor's unit by ``db.queries.access.case_filters`` and has
the ledger's row shape (names and phones masked). Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Case, CaseEvent, OutsideUnit, User
from db.queries.access import case_filters
from db.queries.ledger import LedgerRow, ledger_rows
from db.queries.predicates import codes
from domain.deadlines import ClockRules
from domain.roles import Actor
from domain.workflow import (
    SATISFACTION_LABELS,
    Action,
    CaseStatus,
    Channel,
    Level,
    Satisfaction,
)

__all__ = [
    "QUEUE_LABELS",
    "OutsideUnitRow",
    "QueueKind",
    "ReplyRow",
    "escalation_level",
    "outside_unit_choices",
    "outside_units",
    "queue",
    "queue_counts",
    "reply_sheet_rows",
]

_SENT_UP = (Action.ESCALATE.value, Action.ESCALATE_TO_SUBDISTRICT.value, Action.HAND_BACK.value)


def escalation_level(session: Session, case_id: int) -> Level | None:
    """The level the case is escalated to now (上报/上报街道), from its timeline; None if never.

    A 退回社区 after the 上报街道 takes it back: the 社区 then finishes it at its own level.
    """
    row = session.execute(
        select(CaseEvent.action, CaseEvent.data)
        .where(CaseEvent.case_id == case_id, CaseEvent.action.in_(_SENT_UP))
        .order_by(CaseEvent.id.desc())
        .limit(1)
    ).first()
    if row is None or row.action == Action.HAND_BACK.value:
        return None
    level = json.loads(row.data).get("level") if row.data else None
    return Level(level) if level else None


class QueueKind(StrEnum):
    """The lists of 上报与转办: the 街道's desk, and what waits for an outside unit."""

    TO_SIGN = "to_sign"
    AT_SUBDISTRICT = "at_subdistrict"
    OUTSIDE = "outside"

    @property
    def label(self) -> str:
        return QUEUE_LABELS[self]


QUEUE_LABELS: dict[QueueKind, str] = {
    QueueKind.TO_SIGN: "待街道签收",
    QueueKind.AT_SUBDISTRICT: "街道办理中",
    QueueKind.OUTSIDE: "已上报外部单位（待回单）",
}

_QUEUE_STATUS: dict[QueueKind, CaseStatus] = {
    QueueKind.TO_SIGN: CaseStatus.SUBDISTRICT_PENDING,
    QueueKind.AT_SUBDISTRICT: CaseStatus.AT_SUBDISTRICT,
    QueueKind.OUTSIDE: CaseStatus.ESCALATED,
}


def queue(
    session: Session,
    *,
    kind: QueueKind,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    limit: int = 200,
) -> list[LedgerRow]:
    """One list of cases with a higher level, earliest deadline first, in the actor's unit."""
    cases = session.scalars(
        select(Case)
        .where(Case.status == _QUEUE_STATUS[kind].value, *case_filters(actor))
        .order_by(Case.deadline_at.asc(), Case.id.asc())
        .limit(limit)
    ).all()
    return ledger_rows(session, cases, now=now, rules=rules)


def queue_counts(session: Session, *, actor: Actor) -> dict[QueueKind, int]:
    """How many cases each list of ``queue`` holds."""
    rows = session.execute(
        select(Case.status, func.count())
        .where(Case.status.in_(codes(_QUEUE_STATUS.values())), *case_filters(actor))
        .group_by(Case.status)
    ).tuples()
    found = {status: int(n) for status, n in rows}
    return {kind: found.get(status.value, 0) for kind, status in _QUEUE_STATUS.items()}


@dataclass(frozen=True)
class OutsideUnitRow:
    """An outside unit of the directory (区 departments, 上级部门, 12345)."""

    id: int
    name: str
    level: Level
    contact: str
    typical_days: int
    is_active: bool


def outside_units(session: Session, *, active_only: bool = False) -> list[OutsideUnitRow]:
    """The directory of outside units, by level then name."""
    stmt = select(OutsideUnit).order_by(OutsideUnit.level, OutsideUnit.name)
    if active_only:
        stmt = stmt.where(OutsideUnit.is_active.is_(True))
    return [
        OutsideUnitRow(u.id, u.name, Level(u.level), u.contact, u.typical_days, u.is_active)
        for u in session.scalars(stmt)
    ]


def outside_unit_choices(session: Session) -> dict[int, str]:
    """Active outside units, id → 「name（level，typically N 个工作日）」 for the 上报 form."""
    return {
        u.id: f"{u.name}（{u.level.label}，一般 {u.typical_days} 个工作日）"
        for u in outside_units(session, active_only=True)
    }


@dataclass(frozen=True)
class ReplyRow:
    """One line of the 回单 sheet sent back to 12345 or the 街道."""

    external_no: str
    case_no: str
    result: str
    finished_at: dt.datetime
    handler: str
    satisfaction: str


_FINISH = (Action.FINISH_RESOLVED.value, Action.FINISH_ANSWERED.value)


def reply_sheet_rows(
    session: Session, *, actor: Actor, start: dt.date, end: dt.date
) -> list[ReplyRow]:
    """上级转办 cases finished from ``start`` to ``end`` (inclusive), for the 回单 sheet.

    办理人 is whoever recorded the last 办结/答复; 满意度 is the 回访's answer (「未回访」 before).
    """
    last_finish = (
        select(CaseEvent.case_id, func.max(CaseEvent.id).label("event_id"))
        .where(CaseEvent.action.in_(_FINISH))
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Case.external_no,
            Case.case_no,
            Case.result,
            Case.finished_at,
            Case.satisfaction,
            User.display_name,
        )
        .join(last_finish, last_finish.c.case_id == Case.id)
        .join(CaseEvent, CaseEvent.id == last_finish.c.event_id)
        .outerjoin(User, User.id == CaseEvent.actor_id)
        .where(
            Case.channel == Channel.FORWARDED.value,
            Case.finished_at >= dt.datetime.combine(start, dt.time.min),
            Case.finished_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min),
            *case_filters(actor),
        )
        .order_by(Case.finished_at, Case.id)
    )
    return [
        ReplyRow(
            external_no=r.external_no or "",
            case_no=r.case_no,
            result=r.result or "",
            finished_at=r.finished_at,
            handler=r.display_name or "",
            satisfaction=SATISFACTION_LABELS[Satisfaction(r.satisfaction)]
            if r.satisfaction
            else "未回访",
        )
        for r in rows
    ]
