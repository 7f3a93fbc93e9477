"""workflow_outbox: workflow starts recorded with the rows they work on

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflow_outbox",
        sa.Column("workflow_id", sa.String(length=200), nullable=False),
        sa.Column("workflow_type", sa.String(length=100), nullable=False),
        sa.Column("task_queue", sa.String(length=200), nullable=False),
        sa.Column("argument", sa.LargeBinary(), nullable=False),
        sa.Column("search_attributes", sa.LargeBinary(), nullable=False),
        sa.Column("terminate_existing", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("restarts", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("workflow_id", name=op.f("pk_workflow_outbox")),
    )
    op.create_index(
        "ix_workflow_outbox_unstarted",
        "workflow_outbox",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("started_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_workflow_outbox_unstarted", table_name="workflow_outbox", postgresql_where=sa.text("started_at IS NULL")
    )
    op.drop_table("workflow_outbox")
