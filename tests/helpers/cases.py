"""Case helpers: the clock rules, the Actor a page builds, a valid intake draft."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db.queries.ledger import export_rows
from domain.deadlines import ClockRules
from domain.roles import Actor, Role
from domain.validation import CaseDraft
from services.ledger import render_ledger
from tests.factories import NOW, World

RULES = ClockRules()


def actor_of(world: World, role: str) -> Actor:
    """The Actor a page would build for the world's user of ``role``."""
    user = world.users[role]
    scope = frozenset({world.cells[0].id}) if role == "gridworker" else None
    return Actor(user.id, user.username, Role(role), user.display_name, scope, user.community_id)


def subdistrict_actor(world: World) -> Actor:
    """The world's 街道 leader as ``actor_of`` builds a 街道 role: the whole 街道 (no 社区)."""
    user = world.users["subdistrict_leader"]
    return Actor(user.id, user.username, Role.SUBDISTRICT_LEADER, user.display_name, None, None)


def draft(world: World, **overrides: object) -> CaseDraft:
    """A valid intake draft (承诺件 style defaults replaced by 上报件) plus overrides."""
    values: dict[str, object] = {
        "channel": "hotline",
        "category_id": world.categories[3].id,
        "handling_type": "escalate",
        "grid_cell_id": world.cells[0].id,
        "description": "小区东门路灯不亮，晚上出行不便",
        "accepted_at": NOW,
        "reporter_name": "王五",
        "reporter_phone": "138 1234 5678",
    }
    values.update(overrides)
    return CaseDraft(**values)  # type: ignore[arg-type]


def export_xlsx_or_csv(session: Session, *, fmt: str = "xlsx", **query: Any) -> bytes:
    """The ledger file a page offers: ``export_rows`` rendered by ``render_ledger``."""
    return render_ledger(export_rows(session, **query), fmt)
