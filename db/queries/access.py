"""Whose records an actor may read or write: their unit (街道 or one 社区) and a grid worker's cells.

The one place where an ``Actor`` becomes SQL filters (DOMAIN.md §1 "Units and scope"). Every read
of the read layer narrows its statement with these, and every service checks the record it
writes with ``check_visible``. The rule:

- the 街道 (``actor.community_id is None``: 街道 roles, the admin, the 大屏 viewer) sees every 社区;
- a 社区 role sees its own 社区 only, a 网格员 only their own cells inside it;
- a 社区 role whose account has no 社区 (``actor.lacks_unit``) sees nothing: ``UNIT_MISSING``.

Refusals raise ``domain.errors.OutOfScope`` (a ``PermissionDenied``) carrying the record's name;
this module does not write: the service that serves the request records the refusal
(``services.case_events.record_audit`` with ``REFUSED``), as ``services.cases.open_case`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, select
from sqlalchemy.orm import Session

from db.models import Case, GridCell
from db.queries.scope import Scope
from domain.errors import CaseNotFound, OutOfScope
from domain.roles import Actor

REFUSED = "scope.refused"
"""The audit action of a refused out-of-scope request (``db.queries.audit.AUDIT_LABELS``)."""

UNIT_MISSING = "您的账号尚未分配所属社区，暂时不能查看任何记录，请联系管理员在「用户管理」中设置。"
OUT_OF_UNIT = "该记录属于其他社区，不在您的社区范围内，不能查看或办理"
OUT_OF_CELLS = "该案件不在您负责的网格内，不能查看或办理"

NO_COMMUNITY = -1
"""A community id no row has: the scope of an actor who lacks a unit (matches nothing)."""


def unit_refusal(actor: Actor) -> str | None:
    """The Chinese reason this actor may see nothing at all (a 社区 role without a 社区), else None."""
    return UNIT_MISSING if actor.lacks_unit else None


def community_filters(actor: Actor, column: Any) -> list[ColumnElement[bool]]:
    """Filters on a table that knows its 社区 (``column``): the actor's 社区 only."""
    if actor.lacks_unit:
        return [false()]
    if actor.community_id is None:
        return []
    return [column == actor.community_id]


def _cells_filter(actor: Actor, column: Any) -> list[ColumnElement[bool]]:
    if actor.grid_cell_ids is None:
        return []
    if not actor.grid_cell_ids:
        return [false()]
    return [column.in_(sorted(actor.grid_cell_ids))]


def cell_filters(actor: Actor, column: Any) -> list[ColumnElement[bool]]:
    """Filters on a table that knows only its grid cell (visits, households, assistance, 联户)."""
    if actor.lacks_unit:
        return [false()]
    filters = _cells_filter(actor, column)
    if actor.community_id is not None:
        cells = select(GridCell.id).where(GridCell.community_id == actor.community_id)
        filters.append(column.in_(cells))
    return filters


def case_filters(actor: Actor) -> list[ColumnElement[bool]]:
    """Filters on ``cases``: the actor's 社区, and a grid worker's cells."""
    return community_filters(actor, Case.community_id) + _cells_filter(actor, Case.grid_cell_id)


def unit_scope(actor: Actor, scope: Scope = Scope()) -> Scope:
    """``scope`` narrowed to the actor's 社区: what a KPI, dashboard or report may cover.

    A 社区 actor asking for another 社区 (or for the whole 街道) gets their own 社区.
    """
    if actor.lacks_unit:
        return Scope(community_id=NO_COMMUNITY)
    if actor.community_id is None or scope.community_id == actor.community_id:
        return scope
    return Scope(
        community_id=actor.community_id,
        category_id=scope.category_id,
        channel=scope.channel,
        assignee_id=scope.assignee_id,
    )


def refusal(actor: Actor, *, community_id: int, grid_cell_id: int | None = None) -> str | None:
    """Why a record of ``community_id`` (and ``grid_cell_id``) is outside the actor's scope."""
    if actor.lacks_unit:
        return UNIT_MISSING
    if not actor.sees_community(community_id):
        return OUT_OF_UNIT
    if grid_cell_id is not None and not actor.sees_cell(grid_cell_id):
        return OUT_OF_CELLS
    return None


def check_visible(
    actor: Actor, *, community_id: int, grid_cell_id: int | None = None, target: str = ""
) -> None:
    """Raise ``OutOfScope`` (named ``target``) if the record is outside the actor's scope."""
    reason = refusal(actor, community_id=community_id, grid_cell_id=grid_cell_id)
    if reason is not None:
        raise OutOfScope(reason, target)


def sees_case(actor: Actor, case: Case) -> bool:
    """True if ``case`` lies inside the actor's 社区 and cells."""
    return refusal(actor, community_id=case.community_id, grid_cell_id=case.grid_cell_id) is None


def sees_cell(actor: Actor, cell: GridCell) -> bool:
    """True if grid cell ``cell`` lies inside the actor's 社区 and cells."""
    return refusal(actor, community_id=cell.community_id, grid_cell_id=cell.id) is None


def check_case(actor: Actor, case: Case) -> None:
    """Raise ``OutOfScope`` (named by the case number) if ``case`` is outside the actor's scope."""
    check_visible(
        actor, community_id=case.community_id, grid_cell_id=case.grid_cell_id, target=case.case_no
    )


def cell_community(session: Session, grid_cell_id: int) -> int | None:
    """The 社区 of a grid cell (None for an unknown cell)."""
    return session.scalar(select(GridCell.community_id).where(GridCell.id == grid_cell_id))


def refusal_of_cell(session: Session, *, actor: Actor, grid_cell_id: int) -> str | None:
    """Why grid cell ``grid_cell_id`` is outside the actor's scope (None: inside, or unknown)."""
    community_id = cell_community(session, grid_cell_id)
    if community_id is None:
        return None
    return refusal(actor, community_id=community_id, grid_cell_id=grid_cell_id)


def check_cell(session: Session, *, actor: Actor, grid_cell_id: int, target: str = "") -> None:
    """Raise ``OutOfScope`` if the grid cell lies outside the actor's 社区 or cells."""
    community_id = cell_community(session, grid_cell_id)
    if community_id is None:
        return  # an unknown cell is the validation's refusal, not a scope one
    check_visible(actor, community_id=community_id, grid_cell_id=grid_cell_id, target=target)


def visible_cell_ids(session: Session, actor: Actor) -> frozenset[int]:
    """The ids of every grid cell inside the actor's 社区 and cells."""
    return frozenset(session.scalars(select(GridCell.id).where(*cell_filters(actor, GridCell.id))))


@dataclass(frozen=True)
class CaseRef:
    """A case as the scope check knows it."""

    id: int
    case_no: str
    community_id: int
    grid_cell_id: int


def visible_case(session: Session, *, case_id: int, actor: Actor) -> CaseRef:
    """The case ``case_id`` if the actor may see it.

    Raises ``CaseNotFound``, or ``OutOfScope`` whose ``target`` is the case number: the caller
    (a service) records the refusal in the audit log.
    """
    row = session.execute(
        select(Case.id, Case.case_no, Case.community_id, Case.grid_cell_id).where(
            Case.id == case_id
        )
    ).first()
    if row is None:
        raise CaseNotFound("案件不存在")
    ref = CaseRef(row.id, row.case_no, row.community_id, row.grid_cell_id)
    check_visible(
        actor, community_id=ref.community_id, grid_cell_id=ref.grid_cell_id, target=ref.case_no
    )
    return ref
