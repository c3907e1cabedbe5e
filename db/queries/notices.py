"""公示: the resolved cases a notice shows, anonymised — one selection for the projector's
办结公示 slide and the printed 公示 PDF alike.

A notice lists the cases resolved or answered (``RESOLVED``: 退回件 and merged duplicates left
out) that finished in a period. The reporter's and household head's names are read solely to
mask them inside the result text (``domain.anonymise.public_result``); no personal field (name,
phone, address, household, case number) is returned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Case, Category, GridCell, Household
from db.queries.predicates import RESOLVED, case_scope, in_period
from db.queries.scope import Scope
from domain.anonymise import public_result
from domain.kpis import Period


@dataclass(frozen=True)
class Notice:
    """One line of the 办结公示: what was done where and how long it took — nothing personal."""

    finished_on: dt.date
    category: str
    cell: str
    result: str
    working_days: int | None

    @property
    def duration(self) -> str:
        """How long it took, as the notice board says it: 「3 个工作日」 / 「当日办结」."""
        if self.working_days is None:
            return "—"
        return "当日办结" if self.working_days <= 0 else f"{self.working_days} 个工作日"


NOTICE_FIELDS = ("finished_on", "category", "cell", "result", "working_days")
"""The only fields a 公示 line carries (a test checks nothing personal slips in)."""


def recent(now: dt.datetime, days: int = 30) -> Period:
    """The last ``days`` days up to ``now``: what the projector's 公示 slide covers."""
    return Period(now - dt.timedelta(days=days), now)


def notices(
    session: Session, *, period: Period, scope: Scope = Scope(), limit: int | None = None
) -> list[Notice]:
    """Cases of the scope resolved or answered that finished in ``period``, newest first, anonymised."""
    stmt = (
        select(
            Case.finished_at,
            Category.name.label("category"),
            GridCell.name.label("cell"),
            Case.result,
            Case.handling_working_days,
            # Read only to mask them inside the result text; never returned.
            Case.reporter_name,
            Household.head_name,
        )
        .join(Category, Category.id == Case.category_id)
        .join(GridCell, GridCell.id == Case.grid_cell_id)
        .outerjoin(Household, Household.id == Case.household_id)
        .where(RESOLVED, in_period(Case.finished_at, period), *case_scope(scope))
        .order_by(Case.finished_at.desc(), Case.id.desc())
        .limit(limit)
    )
    return [
        Notice(
            finished_on=row.finished_at.date(),
            category=row.category,
            cell=row.cell,
            result=public_result(row.result, [row.reporter_name, row.head_name]),
            working_days=row.handling_working_days,
        )
        for row in session.execute(stmt)
    ]
