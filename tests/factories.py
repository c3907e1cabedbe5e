"""Factories with defaults plus overrides: a small territory, users and cases for tests."""

from __future__ import annotations

import atexit
import datetime as dt
import json
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.migrate import upgrade_to_head
from db.models import Case, Category, Community, GridCell, Household, Subdistrict, User
from db.seed import create_user, ensure_categories, hash_password
from domain.roles import Role

PASSWORD = "test-pass-123"
NOW = dt.datetime(2026, 11, 20, 10, 0, 0)


@cache
def password_hash() -> str:
    """One bcrypt hash per test session (hashing takes a quarter of a second)."""
    return hash_password(PASSWORD)


def square(lon: float, lat: float, size: float = 0.002) -> str:
    """A GeoJSON polygon: a square cell with its south-west corner at (lon, lat)."""
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


@cache
def migrated_template() -> Path:
    """One SQLite file migrated to head per test process (a migration takes ~0.3 s, a copy ~1 ms)."""
    folder = Path(tempfile.mkdtemp(prefix="minqing-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    with engine.connect() as conn:  # fold the WAL into the file so that one copy holds it all
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def migrate(engine: Engine) -> None:
    """Bring ``engine``'s database to head: a new SQLite file is a copy of the migrated template."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and not Path(database).exists():
        engine.dispose()
        shutil.copyfile(migrated_template(), database)
        return
    upgrade_to_head(engine)


@dataclass
class World:
    """A small territory: one 街道, one 社区, two grid cells, categories and one user per role."""

    community: Community
    cells: list[GridCell]
    categories: list[Category]
    users: dict[str, User]
    households: list[Household]


def make_world(session: Session, *, cells: int = 2, households_per_cell: int = 3) -> World:
    """Create and commit a small territory with one user per role (username = role)."""
    sub = Subdistrict(name="测试街道")
    community = Community(subdistrict=sub, name="测试社区", code="T01")
    session.add_all([sub, community])
    session.flush()
    made_cells = []
    for i in range(cells):
        cell = GridCell(
            community_id=community.id,
            code=f"T01-{i + 1:02d}",
            name=f"第{i + 1}网格",
            boundary_geojson=square(112.9 + i * 0.002, 28.2),
            center_lat=28.201,
            center_lon=112.901 + i * 0.002,
        )
        session.add(cell)
        made_cells.append(cell)
    session.flush()
    households = []
    for cell in made_cells:
        for j in range(households_per_cell):
            hh = Household(
                grid_cell_id=cell.id,
                building=f"{j + 1}栋",
                head_name=f"住户{cell.id}{j}",
                phone=f"1390000{cell.id:02d}{j:02d}",
                address=f"{cell.name}{j + 1}栋",
                members=3,
            )
            session.add(hh)
            households.append(hh)
    categories = ensure_categories(session)
    users = {
        role.value: create_user(
            session,
            username=role.value,
            display_name=f"{role.label}甲",
            role=role.value,
            password_hash=password_hash(),
            now=NOW,
            community_id=community.id,
        )
        for role in Role
    }
    users["gridworker"].grid_cells.append(made_cells[0])
    session.commit()
    return World(community, made_cells, categories, users, households)


def case_values(world: World, **overrides: object) -> dict[str, object]:
    """The columns of a plain open case in the world's first cell, plus ``overrides``."""
    defaults: dict[str, object] = {
        "channel": "hotline",
        "category_id": world.categories[0].id,
        "handling_type": "promised",
        "status": "accepted",
        "community_id": world.community.id,
        "grid_cell_id": world.cells[0].id,
        "description": "楼道堆放杂物，影响通行",
        "reporter_name": "张三",
        "reporter_phone": "13812345678",
        "first_handler_id": world.users["staff"].id,
        "assignee_id": world.users["staff"].id,
        "accepted_at": NOW - dt.timedelta(days=1),
        "deadline_at": NOW + dt.timedelta(days=2),
        "updated_at": NOW,
    }
    defaults.update(overrides)
    return defaults


def make_case(session: Session, world: World, **overrides: object) -> Case:
    """Insert a case directly (no service rules), with defaults plus ``overrides``."""
    number = f"MQ-T-{session.query(Case).count() + 1:06d}"
    case = Case(**case_values(world, **{"case_no": number, **overrides}))
    session.add(case)
    session.commit()
    return case
