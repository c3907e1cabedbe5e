"""Territory look-ups shared by forms: communities and grid cells as choices."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Community, GridCell


def grid_cell_choices(session: Session, *, only: frozenset[int] | None = None) -> dict[int, str]:
    """Grid cell id → "社区 · 网格" label, optionally limited to ``only``."""
    q = (
        select(GridCell.id, Community.name, GridCell.name)
        .join(Community, Community.id == GridCell.community_id)
        .order_by(Community.code, GridCell.code)
    )
    if only is not None:
        q = q.where(GridCell.id.in_(only))
    return {cid: f"{community} · {cell}" for cid, community, cell in session.execute(q)}
