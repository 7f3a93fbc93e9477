"""analytics: the days learners studied, mastery crossings, a review's predicted recall, daily
rollups per learner and per organisation segment, rolled and dirty days, and the indexes that
let a day (or today) be read without a scan

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 13:10:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_now = sa.text("now()")


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), server_default="0", nullable=False)


def upgrade() -> None:
    op.create_table(
        "learner_active_days",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_learner_active_days_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_learner_active_days")),
    )
    op.create_index("ix_learner_active_days_day", "learner_active_days", ["day", "user_id"])
    # The days learners were already known to be active on (their streak's last day); older
    # history was not kept before this table.
    op.execute(
        "INSERT INTO learner_active_days (user_id, day, first_at, last_at) "
        "SELECT id, last_active_date, updated_at, updated_at FROM users WHERE last_active_date IS NOT NULL"
    )
    op.create_table(
        "mastery_crossings",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("topic_id", sa.UUID(), nullable=False),
        sa.Column("mastered", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=_now, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mastery_crossings_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_mastery_crossings_topic_id_topics"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mastery_crossings")),
    )
    op.create_index("ix_mastery_crossings_user_id_at", "mastery_crossings", ["user_id", "at"])
    op.create_index("ix_mastery_crossings_at", "mastery_crossings", ["at"])
    op.create_table(
        "analytics_learner_days",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="false", nullable=False),
        _count("attempts"),
        sa.Column("score_sum", sa.Numeric(12, 2), server_default="0", nullable=False),
        _count("reviews"),
        _count("recalled"),
        _count("predicted_reviews"),
        sa.Column("predicted_sum", sa.Float(), server_default="0", nullable=False),
        _count("predicted_recalled"),
        _count("mastered"),
        _count("sessions"),
        _count("assignments_due"),
        _count("assignments_on_time"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_analytics_learner_days_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_analytics_learner_days")),
    )
    op.create_table(
        "analytics_org_days",
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("segment", sa.String(length=8), nullable=False),
        sa.Column("segment_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *[
            _count(name)
            for name in (
                "learners",
                "dau",
                "wau",
                "mau",
                "ever_active",
                "churned",
                "sessions",
                "practice_due",
                "practice_on_time",
                "goals_due",
                "goals_met",
                "suggestions_offered",
                "suggestions_accepted",
            )
        ],
        sa.Column("nudges", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        _count("control_learners"),
        _count("control_returned"),
        _count("handoffs_sent"),
        _count("handoffs_accepted"),
        sa.Column("accept_seconds", sa.Float(), server_default="0", nullable=False),
        sa.Column("llm_cost_usd", sa.Numeric(14, 6), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_analytics_org_days_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", "segment", "segment_id", "day", name=op.f("pk_analytics_org_days")),
    )
    op.create_table(
        "analytics_rollups",
        sa.Column("scope", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rolled_at", sa.DateTime(timezone=True), server_default=_now, nullable=False),
        sa.PrimaryKeyConstraint("scope", "day", name=op.f("pk_analytics_rollups")),
    )
    op.create_table(
        "analytics_dirty_days",
        sa.Column("scope", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), server_default=_now, nullable=False),
        sa.PrimaryKeyConstraint("scope", "day", name=op.f("pk_analytics_dirty_days")),
    )
    op.add_column("flashcard_reviews", sa.Column("retrievability", sa.Float(), nullable=True))
    op.create_index("ix_flashcard_reviews_reviewed_at", "flashcard_reviews", ["reviewed_at"])
    op.create_index("ix_quiz_attempts_created_at", "quiz_attempts", ["created_at"])
    op.create_index("ix_llm_calls_created_at", "llm_calls", ["created_at"])
    op.create_index("ix_goals_end_day", "goals", [sa.text("(coalesce(due_date, start_date + days - 1))")])
    op.create_index("ix_subject_suggestions_created_at", "subject_suggestions", ["created_at"])
    op.create_index("ix_assignments_due_date", "assignments", ["due_date"])
    op.create_index("ix_tutoring_sessions_session_date", "tutoring_sessions", ["session_date"])
    op.create_index("ix_tutor_handoffs_organization_id_sent_at", "tutor_handoffs", ["organization_id", "sent_at"])
    op.create_index("ix_tutor_handoffs_organization_id_decided_at", "tutor_handoffs", ["organization_id", "decided_at"])
    op.create_index(
        "ix_notifications_nudge_day", "notifications", ["day"], postgresql_where=sa.text("kind = 'engagement'")
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_nudge_day", table_name="notifications")
    op.drop_index("ix_tutor_handoffs_organization_id_decided_at", table_name="tutor_handoffs")
    op.drop_index("ix_tutor_handoffs_organization_id_sent_at", table_name="tutor_handoffs")
    op.drop_index("ix_tutoring_sessions_session_date", table_name="tutoring_sessions")
    op.drop_index("ix_assignments_due_date", table_name="assignments")
    op.drop_index("ix_subject_suggestions_created_at", table_name="subject_suggestions")
    op.drop_index("ix_goals_end_day", table_name="goals")
    op.drop_index("ix_llm_calls_created_at", table_name="llm_calls")
    op.drop_index("ix_quiz_attempts_created_at", table_name="quiz_attempts")
    op.drop_index("ix_flashcard_reviews_reviewed_at", table_name="flashcard_reviews")
    op.drop_column("flashcard_reviews", "retrievability")
    op.drop_table("analytics_dirty_days")
    op.drop_table("analytics_rollups")
    op.drop_table("analytics_org_days")
    op.drop_table("analytics_learner_days")
    op.drop_index("ix_mastery_crossings_at", table_name="mastery_crossings")
    op.drop_index("ix_mastery_crossings_user_id_at", table_name="mastery_crossings")
    op.drop_table("mastery_crossings")
    op.drop_index("ix_learner_active_days_day", table_name="learner_active_days")
    op.drop_table("learner_active_days")
