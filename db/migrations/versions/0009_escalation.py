"""Escalation and 上级转办: the directory of outside units and the case columns that go with it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 16:00:00

上报 beyond the 街道 names an outside unit (``outside_units``) with its reference number
(``cases.escalation_ref``); a case forwarded by 12345 or the 街道 keeps the order number and
the deadline it came with (``cases.external_no``, ``cases.external_due_at``). A case that was
waiting for the 街道 under the old model (已上报 to 「街道…」) is now in the 街道 staff's queue
(待街道签收): both states are open with a running clock, so the KPI rollups do not change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outside_units",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=60), nullable=False, unique=True),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("contact", sa.String(length=100), nullable=False),
        sa.Column("typical_days", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
    )
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("outside_unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("escalation_ref", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("external_no", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("external_due_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            "fk_cases_outside_unit_id", "outside_units", ["outside_unit_id"], ["id"]
        )
        batch_op.create_index("ix_cases_external_no", ["external_no"])
    op.execute(
        "UPDATE cases SET status = 'to_subdistrict' "
        "WHERE status = 'escalated' AND escalated_to LIKE '街道%'"
    )


def downgrade() -> None:
    op.execute("UPDATE cases SET status = 'escalated' WHERE status = 'to_subdistrict'")
    op.execute("UPDATE cases SET status = 'in_progress' WHERE status = 'at_subdistrict'")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_index("ix_cases_external_no")
        batch_op.drop_constraint("fk_cases_outside_unit_id", type_="foreignkey")
        batch_op.drop_column("external_due_at")
        batch_op.drop_column("external_no")
        batch_op.drop_column("escalation_ref")
        batch_op.drop_column("outside_unit_id")
    op.drop_table("outside_units")
