"""the first hour: "ready" announcements per finished thing (subject and link), what the learner
did (topics read, seconds on notes), study time per day and activity

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("subject_id", sa.UUID(), nullable=True))
    # `link` came with the organisations (0014).
    op.drop_index("uq_notifications_user_id_kind_day", table_name="notifications")
    op.create_index(
        "uq_notifications_user_id_kind_day",
        "notifications",
        ["user_id", "kind", "day"],
        unique=True,
        postgresql_where=sa.text("goal_id IS NULL AND dedupe_key IS NULL AND subject_id IS NULL"),
    )
    op.create_index(
        "uq_notifications_kind_subject_id",
        "notifications",
        ["kind", "subject_id"],
        unique=True,
        postgresql_where=sa.text("subject_id IS NOT NULL"),
    )
    op.add_column("courses", sa.Column("topics_read", sa.Integer(), server_default="0", nullable=False))
    op.add_column("topics", sa.Column("read_seconds", sa.Integer(), server_default="0", nullable=False))
    op.add_column("topics", sa.Column("read_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "study_time",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("activity", sa.String(length=16), nullable=False),
        sa.Column("seconds", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_study_time_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "day", "activity", name=op.f("pk_study_time")),
    )


def downgrade() -> None:
    op.drop_table("study_time")
    op.drop_column("topics", "read_at")
    op.drop_column("topics", "read_seconds")
    op.drop_column("courses", "topics_read")
    op.drop_index("uq_notifications_kind_subject_id", table_name="notifications")
    op.drop_index("uq_notifications_user_id_kind_day", table_name="notifications")
    op.execute("DELETE FROM notifications WHERE subject_id IS NOT NULL")
    op.create_index(
        "uq_notifications_user_id_kind_day",
        "notifications",
        ["user_id", "kind", "day"],
        unique=True,
        postgresql_where=sa.text("goal_id IS NULL AND dedupe_key IS NULL"),
    )
    op.drop_column("notifications", "subject_id")
