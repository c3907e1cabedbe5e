"""KPI rollups: per-day figures per grid cell and per breakdown group (db.rollups)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 16:40:00

The first dashboard rerun after any write recomputed every aggregate over the cases: 12–15 s
at 1,000,000 cases on SQLite (bench/bench_dashboard.py). These two tables hold the same sums
per day, kept exact in each writing transaction (with visits and assistance); the upgrade
fills them from the records. Also indexes for the dashboard's 已上报 and 逾期 lists.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DAY_MEASURES = [
    "accepted", "resolution_base", "resolved", "responded", "repeats", "resolved_at_community",
    "finished", "finished_on_time", "handling_days", "finished_with_days",
    "answered", "satisfied", "visits", "visit_persons", "assistance_persons",
]  # fmt: skip
GROUP_MEASURES = ["accepted", "resolution_base", "resolved"]


def _measures(names: list[str]) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "kpi_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("grid_cell_id", sa.Integer(), sa.ForeignKey("grid_cells.id"), nullable=False),
        *_measures(DAY_MEASURES),
        sa.PrimaryKeyConstraint("day", "community_id", "grid_cell_id"),
    )
    op.create_index("ix_kpi_days_community_day", "kpi_days", ["community_id", "day"])
    op.create_index("ix_kpi_days_cell_day", "kpi_days", ["grid_cell_id", "day"])
    op.create_table(
        "kpi_open_days",
        sa.Column("deadline_day", sa.Date(), nullable=False),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("grid_cell_id", sa.Integer(), sa.ForeignKey("grid_cells.id"), nullable=False),
        *_measures(["open_cases", "clock_running"]),
        sa.PrimaryKeyConstraint("deadline_day", "community_id", "grid_cell_id"),
    )
    op.create_table(
        "kpi_reception",
        sa.Column(
            "session_id", sa.Integer(), sa.ForeignKey("reception_sessions.id"), nullable=False
        ),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("grid_cell_id", sa.Integer(), sa.ForeignKey("grid_cells.id"), nullable=False),
        *_measures(["cases", "open_cases", "resolution_base", "resolved"]),
        sa.PrimaryKeyConstraint("session_id", "community_id", "grid_cell_id"),
    )
    op.create_table(
        "kpi_day_groups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("dimension", sa.String(10), nullable=False),
        sa.Column("group_key", sa.String(30), nullable=False),
        *_measures(GROUP_MEASURES),
        sa.PrimaryKeyConstraint("day", "community_id", "dimension", "group_key"),
    )
    op.create_index("ix_cases_status_accepted", "cases", ["status", "accepted_at"])
    op.create_index("ix_cases_status_deadline_id", "cases", ["status", "deadline_at", "id"])
    op.drop_index("ix_cases_status_deadline", table_name="cases")
    from db.rollups import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.create_index("ix_cases_status_deadline", "cases", ["status", "deadline_at"])
    op.drop_index("ix_cases_status_deadline_id", table_name="cases")
    op.drop_index("ix_cases_status_accepted", table_name="cases")
    op.drop_table("kpi_day_groups")
    op.drop_table("kpi_open_days")
    op.drop_table("kpi_reception")
    op.drop_index("ix_kpi_days_cell_day", table_name="kpi_days")
    op.drop_index("ix_kpi_days_community_day", table_name="kpi_days")
    op.drop_table("kpi_days")
