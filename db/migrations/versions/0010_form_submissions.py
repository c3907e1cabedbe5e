"""Form submissions: a saved 走访 or 帮扶 form's token, unique, so a double submit saves once

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:30:00

The visit and assistance forms send a token per filling; the service inserts it in the same
transaction as the record. A second submit of the same filling (a double tap, a resent request,
two racing requests) hits the primary key and writes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_submissions",
        sa.Column("form", sa.String(length=20), primary_key=True),
        sa.Column("token", sa.String(length=32), primary_key=True),
        sa.Column("target", sa.String(length=60), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("form_submissions")
