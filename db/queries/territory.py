"""Territory look-ups: communities and grid cells, as form choices and as ordered rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from db.models import Community, GridCell, Subdistrict
from db.queries.access import cell_filters, community_filters
from domain.roles import Actor


class CellRow(NamedTuple):
    """A grid cell with its 社区, in the 社区-then-cell code order every list uses."""

    id: int
    community: str
    name: str
    leader_id: int | None


def _cell_rows(
    session: Session, only: Iterable[int] | None, where: list[ColumnElement[bool]]
) -> list[CellRow]:
    stmt = (
        select(GridCell.id, Community.name, GridCell.name, GridCell.leader_id)
        .join(Community, Community.id == GridCell.community_id)
        .where(*where)
        .order_by(Community.code, GridCell.code)
    )
    if only is not None:
        stmt = stmt.where(GridCell.id.in_(sorted(only)))
    return [CellRow(*row) for row in session.execute(stmt).tuples()]


def _labels(rows: list[CellRow]) -> dict[int, str]:
    return {c.id: f"{c.community} · {c.name}" for c in rows}


def cell_rows(
    session: Session, *, actor: Actor, only: Iterable[int] | None = None
) -> list[CellRow]:
    """Grid cells in 社区 and cell code order, limited to the ids in ``only`` and ``actor``'s scope."""
    return _cell_rows(session, only, cell_filters(actor, GridCell.id))


def grid_cell_choices(
    session: Session, *, actor: Actor, only: frozenset[int] | None = None
) -> dict[int, str]:
    """Active grid cell id → "社区 · 网格" label, limited to ``only`` and ``actor``'s 社区 and cells.

    Retired cells are not offered (they still show on the cases that keep them).
    """
    where = [*cell_filters(actor, GridCell.id), GridCell.retired_at.is_(None)]
    return _labels(_cell_rows(session, only, where))


def every_grid_cell_choice(session: Session) -> dict[int, str]:
    """Every active grid cell of the 街道 as id → "社区 · 网格": the user administration's picker.

    Unscoped on purpose: the admin assigns a 网格员 of any 社区 their cells.
    """
    return _labels(_cell_rows(session, None, [GridCell.retired_at.is_(None)]))


def community_choices(session: Session, *, actor: Actor) -> dict[int, str]:
    """社区 id → name, in code order (only the actor's own 社区 for a 社区 user)."""
    stmt = (
        select(Community.id, Community.name)
        .where(*community_filters(actor, Community.id))
        .order_by(Community.code)
    )
    return dict(session.execute(stmt).tuples().all())


def unit_name(session: Session, *, actor: Actor) -> str:
    """The name of the actor's unit: their 社区, or the 街道 (「街道」 if none is recorded)."""
    if actor.community_id is not None:
        name = session.scalar(select(Community.name).where(Community.id == actor.community_id))
        if name is not None:
            return name
    return session.scalar(select(Subdistrict.name).order_by(Subdistrict.id)) or "街道"
