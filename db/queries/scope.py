"""Which records a read covers: the scope value every query takes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """Which records a KPI covers; a field left ``None`` does not narrow anything.

    Cases are narrowed by every field. Visits (走访), household coverage and assistance
    (帮扶) have no category, channel or assignee, so they are scoped by territory only:
    ``community_id`` and ``grid_cell_id``; the other three fields leave them untouched.
    """

    community_id: int | None = None
    grid_cell_id: int | None = None
    category_id: int | None = None
    channel: str | None = None
    assignee_id: int | None = None
