"""Setting up a real 街道: retired and ordered grid cells, buildings, roster fields, edit history,
the admin's calendar notices

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 16:25:00

Nothing of the territory is ever deleted: a grid cell, building, person, household or service
point that goes out of use gets ``retired_at`` (a merged or split cell names its
``successor_id``), so cases keep their cell. ``position`` orders a 社区's cells on the schematic
map. ``roster_key`` is the fingerprint of the roster row a record was imported from, so importing
a roster twice adds nothing. ``record_changes`` holds every edit of territory, people, households,
visits and assistance (who, when, before, after). ``calendar_days`` holds the holidays and 调休
workdays an admin entered from a State Council notice before the maintained data had them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

RETIRED = ("grid_cells", "people", "households", "service_points")
KEYED = ("people", "households", "service_points")


def upgrade() -> None:
    for table in RETIRED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("retired_at", sa.DateTime(), nullable=True))
            if table in KEYED:
                batch_op.add_column(sa.Column("roster_key", sa.String(length=64), nullable=True))
                batch_op.create_index(f"ix_{table}_roster_key", ["roster_key"])
    with op.batch_alter_table("grid_cells") as batch_op:
        batch_op.add_column(sa.Column("successor_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_grid_cells_successor_id", "grid_cells", ["successor_id"], ["id"]
        )
    with op.batch_alter_table("people") as batch_op:
        batch_op.add_column(sa.Column("party_group", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("joined_party_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("party_status", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("service_scope", sa.String(length=200), nullable=True))
    op.create_table(
        "buildings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("grid_cell_id", sa.Integer(), sa.ForeignKey("grid_cells.id"), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("head_person_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("grid_cell_id", "name", name="uq_buildings_cell_name"),
    )
    op.create_table(
        "record_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
    )
    op.create_index("ix_record_changes_entity", "record_changes", ["entity", "entity_id"])
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("entered_by", sa.String(length=40), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("calendar_days")
    op.drop_index("ix_record_changes_entity", table_name="record_changes")
    op.drop_table("record_changes")
    op.drop_table("buildings")
    with op.batch_alter_table("people") as batch_op:
        for column in ("service_scope", "party_status", "joined_party_on", "party_group"):
            batch_op.drop_column(column)
    with op.batch_alter_table("grid_cells") as batch_op:
        batch_op.drop_constraint("fk_grid_cells_successor_id", type_="foreignkey")
        batch_op.drop_column("position")
        batch_op.drop_column("successor_id")
    for table in RETIRED:
        with op.batch_alter_table(table) as batch_op:
            if table in KEYED:
                batch_op.drop_index(f"ix_{table}_roster_key")
                batch_op.drop_column("roster_key")
            batch_op.drop_column("retired_at")
