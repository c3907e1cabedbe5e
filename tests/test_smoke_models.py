"""The schema migrates on every backend and the factories build a world on it."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import Case, GridCell
from tests.factories import make_case, make_world


def test_world_and_case_round_trip(session):
    world = make_world(session)
    case = make_case(session, world, description="路灯不亮，晚上出行不便")
    assert session.scalar(select(func.count()).select_from(GridCell)) == 2
    loaded = session.get(Case, case.id)
    assert loaded is not None and loaded.description == "路灯不亮，晚上出行不便"
    assert loaded.version == 1
