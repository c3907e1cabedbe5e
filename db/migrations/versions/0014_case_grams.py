"""The ledger's text index for Chinese: character grams of each case's searchable text

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 19:30:00

``case_grams`` holds (gram, case id) for the grams of each case's description, reporter, phone
and case number (``db.search_index``); ``case_grams_pending`` the cases inserted in bulk and
not indexed yet. Existing cases are indexed here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_grams",
        sa.Column("gram", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("case_id", sa.Integer(), nullable=False, autoincrement=False),
        sa.PrimaryKeyConstraint("gram", "case_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "case_grams_pending",
        sa.Column("case_id", sa.Integer(), nullable=False, autoincrement=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    from db.search_index import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("case_grams_pending")
    op.drop_table("case_grams")
