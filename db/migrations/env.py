"""Alembic environment: the engine comes from ``config.attributes`` (see ``db.migrate``).

On SQLite, adding a foreign key rebuilds the table (``render_as_batch``: copy, drop, rename);
with ``PRAGMA foreign_keys=ON`` dropping a table that other rows point at fails. The pragma
cannot change inside a transaction, so it is turned off on the connection before the migration's
transaction and on again after it, and ``PRAGMA foreign_key_check`` must then find nothing.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from db.models import Base

config = context.config
target_metadata = Base.metadata


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    # Straight to the driver: SQLAlchemy would open a transaction first, where the pragma is a no-op.
    connection.connection.driver_connection.execute(  # type: ignore[union-attr]
        f"PRAGMA foreign_keys={'ON' if on else 'OFF'}"
    )


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            with connection.begin():
                context.configure(
                    connection=connection, target_metadata=target_metadata, render_as_batch=True
                )
                with context.begin_transaction():
                    context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)


run_migrations_online()
