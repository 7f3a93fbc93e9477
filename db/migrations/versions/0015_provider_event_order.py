"""webhook deliveries keep what became of them (applied, ignored with a reason); a subscription
keeps the time of the Stripe event its state came from, so an older event never overwrites it

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("webhook_events", sa.Column("outcome", sa.String(length=32), nullable=True))
    op.add_column("webhook_events", sa.Column("reason", sa.Text(), nullable=True))
    op.add_column("subscriptions", sa.Column("state_event_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("subscriptions", sa.Column("state_event_rank", sa.SmallInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("subscriptions", "state_event_rank")
    op.drop_column("subscriptions", "state_event_at")
    op.drop_column("webhook_events", "reason")
    op.drop_column("webhook_events", "outcome")
