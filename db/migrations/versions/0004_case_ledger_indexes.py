"""case ledger indexes: sort by deadline, filter by cell + category, category, channel

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 14:15:00

The ledger (民情台账) pages server-side over up to millions of cases: every offered sort and
each common filter needs an index so that one page reads ~50 index entries, not the table.
Measured at 1,000,000 cases on SQLite: sort by deadline 490 ms → <1 ms; count of one cell's
category 45–80 ms → <1 ms (bench/bench_cases.py).

Numbered 0004 after 台账导入's 0003 (which revises 0001) so that the chain stays linear and
databases already at 0003 still receive these indexes.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES: dict[str, list[str]] = {
    "ix_cases_deadline_id": ["deadline_at", "id"],
    "ix_cases_cell_category_accepted": ["grid_cell_id", "category_id", "accepted_at"],
    "ix_cases_category_accepted": ["category_id", "accepted_at"],
    "ix_cases_channel_accepted": ["channel", "accepted_at"],
}


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
