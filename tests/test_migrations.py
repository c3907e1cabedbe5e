"""Alembic migrations: one head, and the migrated schema equals the models on every backend."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from db import demo
from db.migrate import alembic_config, upgrade_to_head
from db.models import Base


def test_single_head(sqlite_engine):
    heads = ScriptDirectory.from_config(alembic_config(sqlite_engine)).get_heads()
    assert len(heads) == 1, heads


def test_migrated_schema_matches_the_models(engine):
    upgrade_to_head(engine)  # idempotent on an up-to-date database
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_a_filled_sqlite_database_upgrades_from_0008(sqlite_engine):
    """0009–0011 rebuild tables that other rows point at (SQLite batch mode): no row is lost.

    Before env.py switched foreign keys off around the migration, ``DROP TABLE grid_cells`` failed
    with 「FOREIGN KEY constraint failed」 on any database that had cells with households.
    """
    url = sqlite_engine.url.render_as_string(hide_password=False)
    assert demo.main(["--url", url, "--cases", "200", "--today", "2026-11-20"]) == 0
    tables = ("cases", "case_events", "grid_cells", "households", "people", "kpi_days")

    def counts() -> list[int]:
        with sqlite_engine.connect() as conn:
            return [conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar_one() for t in tables]

    before = counts()
    command.downgrade(alembic_config(sqlite_engine), "0008")
    upgrade_to_head(sqlite_engine)
    assert counts() == before and before[0] == 200
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
