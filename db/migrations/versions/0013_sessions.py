"""Server-side login sessions

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 19:00:00

Each login is a row of ``user_sessions``, keyed by the SHA-256 of its login cookie (the cookie
itself is never stored). Every script run checks its row (one primary-key read): a session whose
``revoked_at`` is set — logout, password change or reset, disabled user, the admin's 强制下线, or
idle past ``MINQING_SESSION_IDLE_MINUTES`` — gets the login form, in every process at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=True),
    )
    op.create_index("ix_user_sessions_user_revoked", "user_sessions", ["user_id", "revoked_at"])


def downgrade() -> None:
    op.drop_index("ix_user_sessions_user_revoked", table_name="user_sessions")
    op.drop_table("user_sessions")
