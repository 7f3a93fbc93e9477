"""learning loop

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topic_mastery",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("topic_id", sa.UUID(), nullable=False),
        sa.Column("mastery", sa.Float(), nullable=False),
        sa.Column("answers", sa.Integer(), server_default="0", nullable=False),
        sa.Column("correct", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_topic_mastery_topic_id_topics"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_topic_mastery_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_mastery")),
        sa.UniqueConstraint("user_id", "topic_id", name=op.f("uq_topic_mastery_user_id_topic_id")),
    )
    op.create_index(op.f("ix_topic_mastery_user_id"), "topic_mastery", ["user_id"], unique=False)
    op.add_column("quiz_attempts", sa.Column("course_id", sa.UUID(), nullable=True))
    op.add_column(
        "quiz_attempts",
        sa.Column("feedback", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
    )
    op.create_index(op.f("ix_quiz_attempts_course_id"), "quiz_attempts", ["course_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_quiz_attempts_course_id_courses"),
        "quiz_attempts",
        "courses",
        ["course_id"],
        ["id"],
        ondelete="CASCADE",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_quiz_attempts_course_id_courses"), "quiz_attempts", type_="foreignkey")
    op.drop_index(op.f("ix_quiz_attempts_course_id"), table_name="quiz_attempts")
    op.drop_column("quiz_attempts", "feedback")
    op.drop_column("quiz_attempts", "course_id")
    op.drop_index(op.f("ix_topic_mastery_user_id"), table_name="topic_mastery")
    op.drop_table("topic_mastery")
