"""free-text answers: their grades and review tasks, tutor grades kept as labels, a provisional
learner → reviewer link, and the attempt's grading status

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "quiz_attempts", sa.Column("grading_status", sa.String(length=16), server_default="graded", nullable=False)
    )
    op.create_table(
        "grading_reviews",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("attempt_id", sa.UUID(), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("learner_id", sa.UUID(), nullable=False),
        sa.Column("reviewer_id", sa.UUID(), nullable=True),
        sa.Column("topic_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="grading", nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("item", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("grader", sa.String(length=16), nullable=True),
        sa.Column("proposal", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("final", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalized_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('grading', 'pending_review', 'final')", name=op.f("ck_grading_reviews_status")),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('auto', 'reviewed', 'not_reviewed', 'no_reviewer', 'failed')",
            name=op.f("ck_grading_reviews_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["quiz_attempts.id"],
            name=op.f("fk_grading_reviews_attempt_id_quiz_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["users.id"], name=op.f("fk_grading_reviews_learner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_grading_reviews_reviewer_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_grading_reviews_topic_id_topics"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grading_reviews")),
        sa.UniqueConstraint("attempt_id", "item_id", name=op.f("uq_grading_reviews_attempt_id_item_id")),
    )
    op.create_index(op.f("ix_grading_reviews_attempt_id"), "grading_reviews", ["attempt_id"])
    op.create_index(op.f("ix_grading_reviews_learner_id"), "grading_reviews", ["learner_id"])
    op.create_index(op.f("ix_grading_reviews_reviewer_id"), "grading_reviews", ["reviewer_id"])
    op.create_table(
        "grading_labels",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("review_id", sa.UUID(), nullable=False),
        sa.Column("labelled_by", sa.UUID(), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("rubric", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("scores", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("proposal_scores", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["grading_reviews.id"],
            name=op.f("fk_grading_labels_review_id_grading_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["labelled_by"], ["users.id"], name=op.f("fk_grading_labels_labelled_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grading_labels")),
        sa.UniqueConstraint("review_id", name=op.f("uq_grading_labels_review_id")),
    )


def downgrade() -> None:
    op.drop_table("grading_labels")
    op.drop_table("grading_reviews")
    op.drop_column("quiz_attempts", "grading_status")
