from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at, updated_at, uuid_pk
from studyflow.statuses import GradeOutcome, ReviewStatus, check_in


class GradingReview(Base):
    """One free-text answer of one attempt and its grade: the automatic proposal, where it was
    routed, and the final grade. `status` moves grading → (pending_review →) final exactly once;
    mastery moves in the transaction that makes it final (the status guard makes that once)."""

    __tablename__ = "grading_reviews"
    __table_args__ = (
        UniqueConstraint("attempt_id", "item_id"),
        CheckConstraint(check_in("status", ReviewStatus), name="status"),
        CheckConstraint(f"outcome IS NULL OR {check_in('outcome', GradeOutcome)}", name="outcome"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    attempt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(32))
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Who must grade it (null: nobody; the learner has no reviewer). The queue shows a task to
    # this user only.
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    topic_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), server_default=ReviewStatus.grading.value)
    outcome: Mapped[str | None] = mapped_column(String(16))
    # The item as it was asked (question, model answer, rubric): the grade is of this version.
    item: Mapped[dict] = mapped_column(JSONB)
    answer: Mapped[str] = mapped_column(Text)
    grader: Mapped[str | None] = mapped_column(String(16))  # embedded | llm
    proposal: Mapped[dict | None] = mapped_column(JSONB)  # per point: score, confidence, quote, justification
    confidence: Mapped[float | None] = mapped_column(Float)
    final: Mapped[dict | None] = mapped_column(JSONB)  # {scores, total}
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    routed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finalized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GradingLabel(Base):
    """A tutor's grade kept as a label (question, rubric, answer, score per point), the data a
    later calibration is run on."""

    __tablename__ = "grading_labels"

    id: Mapped[uuid.UUID] = uuid_pk()
    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grading_reviews.id", ondelete="CASCADE"), unique=True)
    labelled_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    rubric: Mapped[list] = mapped_column(JSONB)
    answer: Mapped[str] = mapped_column(Text)
    scores: Mapped[dict] = mapped_column(JSONB)
    proposal_scores: Mapped[dict | None] = mapped_column(JSONB)  # what the grader proposed, to measure it
    created_at: Mapped[datetime] = created_at()
