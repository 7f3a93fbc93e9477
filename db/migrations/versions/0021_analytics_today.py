"""analytics today from yesterday: a rolled organisation day carries the counts the next day's
windows need without that day (active in the 6 / 29 / churn-1 days ending it) and the churn window
it was rolled with; memberships are found by the day they were made or removed

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 07:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: days rolled before this migration have none, and today is then computed in full.
    op.add_column("analytics_org_days", sa.Column("churn_days", sa.SmallInteger(), nullable=True))
    for column in ("active_6", "active_29", "active_churn"):
        op.add_column("analytics_org_days", sa.Column(column, sa.Integer(), nullable=True))
    op.create_index("ix_memberships_organization_id_created_at", "memberships", ["organization_id", "created_at"])
    op.create_index(
        "ix_memberships_organization_id_removed_at",
        "memberships",
        ["organization_id", "removed_at"],
        postgresql_where=sa.text("removed_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_memberships_organization_id_removed_at", table_name="memberships")
    op.drop_index("ix_memberships_organization_id_created_at", table_name="memberships")
    for column in ("active_churn", "active_29", "active_6", "churn_days"):
        op.drop_column("analytics_org_days", column)
