"""People behind the pipeline: 联户 liaison links, 积分 rules and records, 接待日, 三议

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 15:00:00

New tables only; nothing existing changes. A concern raised on a reception day is linked to
its case by ``reception_concerns`` (one session per case) rather than a column on ``cases``.
Default point rules are created by ``services.people.ensure_point_rules``, not here, so the
defaults live once (``domain.people.DEFAULT_RULES``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "point_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_key", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rule_key"),
    )
    op.create_table(
        "point_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("earned_on", sa.Date(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("rule_key", sa.String(length=40), nullable=False),
        sa.Column("source_type", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("settled_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_point_records_day", "point_records", ["earned_on"])
    op.create_index("ix_point_records_person_day", "point_records", ["person_id", "earned_on"])
    op.create_index(
        "ux_point_records_award",
        "point_records",
        ["person_id", "rule_key", "source_type", "source_id"],
        unique=True,
    )
    op.create_table(
        "reception_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("held_at", sa.DateTime(), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reception_sessions_community_id", "reception_sessions", ["community_id"])
    op.create_index("ix_reception_sessions_held_at", "reception_sessions", ["held_at"])
    op.create_table(
        "liaison_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("grid_cell_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("group_name", sa.String(length=60), nullable=True),
        sa.Column("since", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["grid_cell_id"], ["grid_cells.id"]),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_liaison_links_grid_cell_id", "liaison_links", ["grid_cell_id"])
    op.create_index("ix_liaison_links_household_id", "liaison_links", ["household_id"])
    op.create_index("ix_liaison_links_person_id", "liaison_links", ["person_id"])
    op.create_table(
        "reception_deputies",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["reception_sessions.id"]),
        sa.PrimaryKeyConstraint("session_id", "person_id"),
    )
    op.create_table(
        "deliberations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("attendees", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("responsible_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["responsible_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deliberations_case_id", "deliberations", ["case_id"])
    op.create_table(
        "reception_concerns",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["reception_sessions.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_reception_concerns_session_id", "reception_concerns", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_reception_concerns_session_id", table_name="reception_concerns")
    op.drop_table("reception_concerns")
    op.drop_index("ix_deliberations_case_id", table_name="deliberations")
    op.drop_table("deliberations")
    op.drop_table("reception_deputies")
    op.drop_index("ix_liaison_links_person_id", table_name="liaison_links")
    op.drop_index("ix_liaison_links_household_id", table_name="liaison_links")
    op.drop_index("ix_liaison_links_grid_cell_id", table_name="liaison_links")
    op.drop_table("liaison_links")
    op.drop_index("ix_reception_sessions_held_at", table_name="reception_sessions")
    op.drop_index("ix_reception_sessions_community_id", table_name="reception_sessions")
    op.drop_table("reception_sessions")
    op.drop_index("ux_point_records_award", table_name="point_records")
    op.drop_index("ix_point_records_person_day", table_name="point_records")
    op.drop_index("ix_point_records_day", table_name="point_records")
    op.drop_table("point_records")
    op.drop_table("point_rules")
