"""Coordinates in double precision on MySQL/MariaDB

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 19:40:00

``sa.Float()`` is single precision on MySQL/MariaDB (about 7 significant digits: 112.9015 came
back as 112.901, some 50 m off), while PostgreSQL and SQLite store double precision. The
coordinate columns of grid cells, cases and service points become DOUBLE there; the other
backends already have it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COLUMNS = (
    ("grid_cells", "center_lat", False),
    ("grid_cells", "center_lon", False),
    ("cases", "latitude", True),
    ("cases", "longitude", True),
    ("service_points", "latitude", False),
    ("service_points", "longitude", False),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "mysql":
        return
    for table, column, nullable in COLUMNS:
        op.alter_column(
            table, column, type_=sa.Double(), existing_type=sa.Float(), existing_nullable=nullable
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "mysql":
        return
    for table, column, nullable in COLUMNS:
        op.alter_column(
            table, column, type_=sa.Float(), existing_type=sa.Double(), existing_nullable=nullable
        )
