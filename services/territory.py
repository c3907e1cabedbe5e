"""Where a record is made: the grid cell and household checks every recording form shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from db.models import GridCell, Household
from db.queries.access import OUT_OF_UNIT, sees_cell
from domain.roles import Actor


@dataclass
class Place:
    """The cell and household a form named, and field → Chinese message for what is wrong."""

    cell: GridCell | None
    household: Household | None
    errors: dict[str, str] = field(default_factory=dict)


def check_place(
    session: Session,
    *,
    grid_cell_id: int | None,
    household_id: int | None,
    actor: Actor,
    out_of_scope: str,
) -> Place:
    """The named cell must exist and be the actor's; the household must lie in that cell."""
    place = Place(session.get(GridCell, grid_cell_id) if grid_cell_id is not None else None, None)
    if grid_cell_id is not None and place.cell is None:
        place.errors["grid_cell_id"] = "所选网格不存在"
    elif place.cell is not None and not sees_cell(actor, place.cell):
        place.errors["grid_cell_id"] = (
            out_of_scope if actor.sees_community(place.cell.community_id) else OUT_OF_UNIT
        )
    if household_id is not None:
        place.household = session.get(Household, household_id)
        cell = place.cell
        if place.household is None or (
            cell is not None and place.household.grid_cell_id != cell.id
        ):
            place.errors["household_id"] = "所选住户不在该网格内"
    return place
