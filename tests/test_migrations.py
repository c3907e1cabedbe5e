"""Alembic migrations: one head, and the migrated schema equals the models on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

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
