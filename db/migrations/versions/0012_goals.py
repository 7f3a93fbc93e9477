"""goals, subject suggestions, and notifications that announce a met goal

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "goals",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=True),
        sa.Column("target", sa.Numeric(precision=8, scale=3), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('course_by_date', 'daily_minutes', 'daily_reviews', 'mastery')", name=op.f("ck_goals_kind")
        ),
        sa.CheckConstraint("status IN ('active', 'met', 'abandoned')", name=op.f("ck_goals_status")),
        sa.CheckConstraint(
            "kind NOT IN ('course_by_date', 'mastery') OR course_id IS NOT NULL", name=op.f("ck_goals_course")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_goals_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_goals_course_id_courses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
    )
    op.create_index(op.f("ix_goals_user_id"), "goals", ["user_id"], unique=False)
    op.create_table(
        "subject_suggestions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("goal_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'accepted', 'dismissed')", name=op.f("ck_subject_suggestions_status")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_subject_suggestions_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_subject_suggestions_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_subject_suggestions_course_id_courses"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_suggestions")),
        sa.UniqueConstraint("goal_id", "position", name=op.f("uq_subject_suggestions_goal_id_position")),
    )
    op.create_index(op.f("ix_subject_suggestions_user_id"), "subject_suggestions", ["user_id"], unique=False)
    op.add_column("notifications", sa.Column("goal_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_notifications_goal_id_goals"), "notifications", "goals", ["goal_id"], ["id"], ondelete="CASCADE"
    )
    op.drop_constraint("uq_notifications_user_id_kind_day", "notifications", type_="unique")
    op.create_index(
        "uq_notifications_user_id_kind_day",
        "notifications",
        ["user_id", "kind", "day"],
        unique=True,
        postgresql_where=sa.text("goal_id IS NULL"),
    )
    op.create_index(
        "uq_notifications_goal_id",
        "notifications",
        ["goal_id"],
        unique=True,
        postgresql_where=sa.text("goal_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_notifications_goal_id", table_name="notifications")
    op.drop_index("uq_notifications_user_id_kind_day", table_name="notifications")
    op.execute("DELETE FROM notifications WHERE goal_id IS NOT NULL")
    op.create_unique_constraint("uq_notifications_user_id_kind_day", "notifications", ["user_id", "kind", "day"])
    op.drop_constraint(op.f("fk_notifications_goal_id_goals"), "notifications", type_="foreignkey")
    op.drop_column("notifications", "goal_id")
    op.drop_index(op.f("ix_subject_suggestions_user_id"), table_name="subject_suggestions")
    op.drop_table("subject_suggestions")
    op.drop_index(op.f("ix_goals_user_id"), table_name="goals")
    op.drop_table("goals")
