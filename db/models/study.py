from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at, updated_at, uuid_pk
from studyflow.statuses import AttemptGrading, GenerationStatus, check_in


class StudyContent(Base):
    """Flashcards or a quiz for a course: at most one row per (course, type)."""

    __tablename__ = "study_contents"
    __table_args__ = (
        UniqueConstraint("course_id", "type"),
        CheckConstraint("type IN ('flashcards', 'quiz')", name="type"),
        CheckConstraint(check_in("status", GenerationStatus), name="status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), server_default=GenerationStatus.generating.value)
    retry_count: Mapped[int] = mapped_column(Integer, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(String(200))
    served_from: Mapped[str | None] = mapped_column(String(32))
    # What the quality gate checked, repaired and dropped (studyflow.content_rules.quality_gate).
    quality_report: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class QuizAttempt(Base):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        # A day's attempts, for the analytics rollup.
        Index("ix_quiz_attempts_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    study_content_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("study_contents.id", ondelete="CASCADE"))
    course_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    answers: Mapped[dict] = mapped_column(JSONB)
    feedback: Mapped[list] = mapped_column(JSONB, server_default="[]")
    score: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    percentage: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    duration_seconds: Mapped[int] = mapped_column(Integer, server_default="0")
    weak_topics: Mapped[list] = mapped_column(JSONB, server_default="[]")
    # `grading` while free-text answers are being graded (GradingWorkflow); score and percentage
    # are final once `graded`.
    grading_status: Mapped[str] = mapped_column(String(16), server_default=AttemptGrading.graded.value)
    created_at: Mapped[datetime] = created_at()


class TopicMastery(Base):
    """Bayesian Knowledge Tracing estimate that a learner has mastered a topic."""

    __tablename__ = "topic_mastery"
    __table_args__ = (UniqueConstraint("user_id", "topic_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    mastery: Mapped[float] = mapped_column(Float)
    answers: Mapped[int] = mapped_column(Integer, server_default="0")
    correct: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_at: Mapped[datetime] = updated_at()


class RemediationPlan(Base):
    __tablename__ = "remediation_plans"
    __table_args__ = (CheckConstraint(check_in("status", GenerationStatus), name="status"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    quiz_attempt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), server_default=GenerationStatus.generating.value)
    plan: Mapped[dict | None] = mapped_column(JSONB)
    # llm, or template: built from the quiz's own explanations when the learner's LLM allowance
    # (rate or monthly budget) is used up (services/llm_allowance.py).
    engine: Mapped[str] = mapped_column(String(16), server_default="llm")
    error: Mapped[str | None] = mapped_column(Text)
    retry_count: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class FlashcardState(Base):
    """Spaced-repetition (FSRS) state of one card for one learner."""

    __tablename__ = "flashcard_states"
    __table_args__ = (UniqueConstraint("user_id", "study_content_id", "card_key"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    study_content_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("study_contents.id", ondelete="CASCADE"))
    card_key: Mapped[str] = mapped_column(String(64))
    fsrs_card: Mapped[dict] = mapped_column(JSONB)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class FlashcardReview(Base):
    __tablename__ = "flashcard_reviews"
    # A day's reviews, for the analytics rollup.
    __table_args__ = (Index("ix_flashcard_reviews_reviewed_at", "reviewed_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    card_state_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("flashcard_states.id", ondelete="CASCADE"), index=True)
    rating: Mapped[str] = mapped_column(String(8))
    review_log: Mapped[dict] = mapped_column(JSONB)
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # FSRS's predicted probability of recall at the moment of the review (None for a card's first
    # review: nothing to predict from), against which review retention is measured.
    retrievability: Mapped[float | None] = mapped_column(Float)
