"""KPI covering index for one 社区: the community-scoped aggregates read only index entries

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 15:05:00

SQLite keeps no statistics, so for ``community_id = ?`` over a period it chose the plain
(community_id, accepted_at) index and then fetched every matching row: kpi_snapshot for one
社区 this month took 1,000 ms at 1,000,000 cases against 124 ms for the whole 街道
(bench/bench_kpis.py). The same index extended with the columns the aggregates read replaces it.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = [
    "community_id", "accepted_at", "status", "handling_type", "is_repeat", "resolved_level",
    "first_response_at", "response_due_at",
]  # fmt: skip


def upgrade() -> None:
    op.create_index("ix_cases_kpi_community_accepted", "cases", COLUMNS)
    op.drop_index("ix_cases_community_accepted", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_community_accepted", "cases", ["community_id", "accepted_at"])
    op.drop_index("ix_cases_kpi_community_accepted", table_name="cases")
