"""one admit path: what an outbox record works on (for its undo) and its relay failures; a monthly
LLM spend counter per learner; per-quiz rate-limit buckets; remediation plans built from a template

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("workflow_outbox", sa.Column("subject_kind", sa.String(length=32), nullable=True))
    op.add_column("workflow_outbox", sa.Column("subject_id", sa.UUID(), nullable=True))
    op.add_column("workflow_outbox", sa.Column("relay_failures", sa.Integer(), server_default="0", nullable=False))
    op.add_column("workflow_outbox", sa.Column("last_error", sa.Text(), nullable=True))
    op.alter_column("rate_limit_buckets", "bucket", type_=sa.String(length=64), existing_type=sa.String(length=32))
    op.add_column("remediation_plans", sa.Column("engine", sa.String(length=16), server_default="llm", nullable=False))
    op.create_table(
        "llm_monthly_spend",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("cost_usd", sa.Numeric(precision=14, scale=6), server_default="0", nullable=False),
        sa.Column("calls", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_llm_monthly_spend_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "month", name=op.f("pk_llm_monthly_spend")),
    )
    # The months so far, from the ledger (UTC months: the time zone setting is not known here).
    op.execute(
        """
        INSERT INTO llm_monthly_spend (user_id, month, cost_usd, calls)
        SELECT user_id, date_trunc('month', created_at AT TIME ZONE 'UTC')::date, sum(cost_usd), count(*)
          FROM llm_calls WHERE user_id IS NOT NULL GROUP BY 1, 2
        """
    )


def downgrade() -> None:
    op.drop_table("llm_monthly_spend")
    op.drop_column("remediation_plans", "engine")
    op.alter_column("rate_limit_buckets", "bucket", type_=sa.String(length=32), existing_type=sa.String(length=64))
    for column in ("last_error", "relay_failures", "subject_id", "subject_kind"):
        op.drop_column("workflow_outbox", column)
