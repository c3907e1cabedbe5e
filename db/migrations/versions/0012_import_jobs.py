"""Ledger imports as resumable jobs

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:00:00

An import runs in the server's background (``services.import_jobs``), chunk by chunk: each
chunk's transaction imports its rows, deletes them from ``import_job_chunks`` and advances the
job's counters in ``import_jobs``, so a job cut off anywhere resumes where it stopped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch", sa.String(length=40), nullable=False, unique=True),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=80), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
    )
    op.create_index("ix_import_jobs_community_id", "import_jobs", ["community_id"])
    op.create_table(
        "import_job_chunks",
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("import_jobs.id"), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.Text().with_variant(mysql.LONGTEXT(), "mysql"), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("import_job_chunks")
    op.drop_index("ix_import_jobs_community_id", table_name="import_jobs")
    op.drop_table("import_jobs")
