"""我的待办: my open cases, due soon, overdue, awaiting follow-up (待回访) — counts and lists.

The lists share the ledger's row shape (``db.queries.ledger.LedgerRow``) and the state groups
of ``db.queries.predicates``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from db.models import Case
from db.queries.ledger import LedgerRow, actor_scope, ledger_rows
from db.queries.predicates import OPEN, due_between, overdue_at
from domain.deadlines import ClockRules, due_soon_cutoff
from domain.roles import Actor, Role
from domain.workflow import CaseStatus

__all__ = [
    "TODO_LABELS",
    "TodoCounts",
    "TodoKind",
    "todo_counts",
    "todo_list",
    "todo_lists",
]


class TodoKind(StrEnum):
    """The lists of 我的待办."""

    MINE = "mine"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    FOLLOW_UP = "follow_up"

    @property
    def label(self) -> str:
        return TODO_LABELS[self]

    @property
    def short_label(self) -> str:
        """The one-word name of the list (tabs on a phone, the sidebar count)."""
        return TODO_SHORT_LABELS[self]


TODO_LABELS: dict[TodoKind, str] = {
    TodoKind.MINE: "我的在办",
    TodoKind.DUE_SOON: "临期（一个工作日内到期）",
    TodoKind.OVERDUE: "已逾期",
    TodoKind.FOLLOW_UP: "待回访",
}
TODO_SHORT_LABELS: dict[TodoKind, str] = {
    TodoKind.MINE: "在办",
    TodoKind.DUE_SOON: "临期",
    TodoKind.OVERDUE: "逾期",
    TodoKind.FOLLOW_UP: "待回访",
}


@dataclass(frozen=True)
class TodoCounts:
    """How many cases are in each 我的待办 list."""

    mine: int
    due_soon: int
    overdue: int
    follow_up: int

    def get(self, kind: TodoKind) -> int:
        """The count of one list."""
        return int(getattr(self, kind.value))


def _responsible(actor: Actor) -> ColumnElement[bool]:
    """Cases an actor answers for: assigned to them; for a grid worker also their cells'."""
    mine = Case.assignee_id == actor.user_id
    if actor.role is Role.GRIDWORKER and actor.grid_cell_ids:
        return or_(mine, Case.grid_cell_id.in_(sorted(actor.grid_cell_ids)))
    return mine


def _todo_conditions(
    kind: TodoKind, *, actor: Actor, now: dt.datetime, rules: ClockRules
) -> list[ColumnElement[bool]]:
    where = [*actor_scope(actor), _responsible(actor)]
    if kind is TodoKind.MINE:
        where.append(OPEN)
    elif kind is TodoKind.DUE_SOON:
        where.append(due_between(now, due_soon_cutoff(now, rules=rules)))
    elif kind is TodoKind.OVERDUE:
        where.append(overdue_at(now))
    else:
        where.append(Case.status == CaseStatus.NOTIFIED.value)
    return where


def todo_counts(
    session: Session, *, actor: Actor, now: dt.datetime, rules: ClockRules
) -> TodoCounts:
    """The four 我的待办 counts (for the sidebar badge and the page's headline)."""
    counts = {
        kind.value: int(
            session.scalar(
                select(func.count())
                .select_from(Case)
                .where(*_todo_conditions(kind, actor=actor, now=now, rules=rules))
            )
            or 0
        )
        for kind in TodoKind
    }
    return TodoCounts(**counts)


def todo_list(
    session: Session,
    *,
    kind: TodoKind | str,
    actor: Actor,
    now: dt.datetime,
    rules: ClockRules,
    limit: int = 200,
) -> list[LedgerRow]:
    """One 我的待办 list, most urgent first (earliest deadline; follow-ups by notification)."""
    which = TodoKind(kind)
    order = (
        (Case.notified_at.asc(), Case.id.asc())
        if which is TodoKind.FOLLOW_UP
        else (Case.deadline_at.asc(), Case.id.asc())
    )
    cases = session.scalars(
        select(Case)
        .where(*_todo_conditions(which, actor=actor, now=now, rules=rules))
        .order_by(*order)
        .limit(limit)
    ).all()
    return ledger_rows(session, cases, now=now, rules=rules)


def todo_lists(
    session: Session, *, actor: Actor, now: dt.datetime, rules: ClockRules, limit: int = 200
) -> dict[TodoKind, list[LedgerRow]]:
    """Every 我的待办 list, keyed by kind."""
    return {
        kind: todo_list(session, kind=kind, actor=actor, now=now, rules=rules, limit=limit)
        for kind in TodoKind
    }
