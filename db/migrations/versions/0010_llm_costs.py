"""llm_calls: the learner a call was spent on and its cost

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("llm_calls", sa.Column("user_id", sa.UUID(), nullable=True))
    op.add_column(
        "llm_calls", sa.Column("cost_usd", sa.Numeric(precision=12, scale=6), server_default="0", nullable=False)
    )
    op.create_foreign_key(
        op.f("fk_llm_calls_user_id_users"), "llm_calls", "users", ["user_id"], ["id"], ondelete="SET NULL"
    )
    op.create_index("ix_llm_calls_user_id_created_at", "llm_calls", ["user_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_llm_calls_user_id_created_at", table_name="llm_calls")
    op.drop_constraint(op.f("fk_llm_calls_user_id_users"), "llm_calls", type_="foreignkey")
    op.drop_column("llm_calls", "cost_usd")
    op.drop_column("llm_calls", "user_id")
