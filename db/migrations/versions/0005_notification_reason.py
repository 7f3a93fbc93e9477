"""notification reason

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("reason", sa.String(length=32), nullable=True))
    op.add_column("notifications", sa.Column("source", sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column("notifications", "source")
    op.drop_column("notifications", "reason")
