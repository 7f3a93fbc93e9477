"""clerk organisations: an organisation deleted in Clerk (its tombstone), and the Clerk
`updated_at` last applied to an organisation and a membership, so deliveries that arrive out of
order cannot undo newer ones

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 07:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organizations", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("organizations", sa.Column("clerk_updated_at", sa.BigInteger(), nullable=True))
    op.add_column("memberships", sa.Column("clerk_updated_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("memberships", "clerk_updated_at")
    op.drop_column("organizations", "clerk_updated_at")
    op.drop_column("organizations", "deleted_at")
