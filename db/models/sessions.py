"""Tutoring sessions: the transcript (stored as the learner's source of kind `transcript`, whose
chunks the tutor chat cites), each version of its analysis, the concepts it found, and what they
contributed to the learner's mastery.

Concepts are rows: they are matched to topics, counted ("misconceptions seen this week") and
joined to mastery evidence. Their evidence quotes are a JSONB array on the concept row: always read
with their concept, never queried alone, so a table of their own would only add joins."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at, updated_at, uuid_pk
from studyflow.statuses import LearnerShowed, SessionStatus, check_in


class TutoringSession(Base):
    __tablename__ = "tutoring_sessions"
    __table_args__ = (CheckConstraint(check_in("status", SessionStatus), name="status"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tutor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The transcript as uploaded; deleting the session deletes it (and its chunks).
    source_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    session_date: Mapped[date] = mapped_column(Date)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    transcript_format: Mapped[str] = mapped_column(String(16))
    # Speaker name -> tutor | learner | other, as given or corrected by the tutor (empty: inferred).
    speaker_mapping: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    status: Mapped[str] = mapped_column(String(16), server_default=SessionStatus.processing.value)
    stage: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(Text)
    analysis_version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class SessionAnalysis(Base):
    """One version of a session's analysis; a correction (transcript or speakers) makes the next.
    Earlier versions stay, with the practice they assigned."""

    __tablename__ = "session_analyses"
    __table_args__ = (
        UniqueConstraint("session_id", "version"),
        CheckConstraint(check_in("status", SessionStatus), name="status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tutoring_sessions.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), server_default=SessionStatus.processing.value)
    error: Mapped[str | None] = mapped_column(Text)
    engine: Mapped[str | None] = mapped_column(String(16))  # llm | extractive
    model: Mapped[str | None] = mapped_column(String(200))
    # The utterances this version analysed: [{index, speaker, text, start, end}]; null until parsed
    # (version 1 is read from the upload; a corrected version is written with its corrections).
    transcript: Mapped[list | None] = mapped_column(JSONB)
    roles: Mapped[dict | None] = mapped_column(JSONB)  # speaker -> role used by this version
    roles_from: Mapped[str | None] = mapped_column(String(16))  # given | names | inferred
    windows: Mapped[int | None] = mapped_column(Integer)
    topics: Mapped[list] = mapped_column(JSONB, server_default="[]")
    strengths: Mapped[list] = mapped_column(JSONB, server_default="[]")
    areas_for_improvement: Mapped[list] = mapped_column(JSONB, server_default="[]")
    action_items: Mapped[list] = mapped_column(JSONB, server_default="[]")
    # Validation: evidence quotes the model proposed, found in the transcript, dropped; concepts
    # dropped for having no valid evidence.
    quotes_proposed: Mapped[int] = mapped_column(Integer, server_default="0")
    quotes_valid: Mapped[int] = mapped_column(Integer, server_default="0")
    quotes_dropped: Mapped[int] = mapped_column(Integer, server_default="0")
    concepts_proposed: Mapped[int] = mapped_column(Integer, server_default="0")
    concepts_dropped: Mapped[int] = mapped_column(Integer, server_default="0")
    mastery_applied: Mapped[bool] = mapped_column(Boolean, server_default="false")
    practice_course_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    practice_status: Mapped[str | None] = mapped_column(String(16))  # making | assigned | failed | none
    practice_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SessionWindowInsight(Base):
    """What one window yielded (the model's reply, or the extractive reading), kept so a retried
    merge reads the same windows and a retried window is not asked (or paid for) again."""

    __tablename__ = "session_window_insights"
    __table_args__ = (PrimaryKeyConstraint("analysis_id", "window_index"),)

    analysis_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("session_analyses.id", ondelete="CASCADE"))
    window_index: Mapped[int] = mapped_column(Integer)
    draft: Mapped[dict] = mapped_column(JSONB)
    engine: Mapped[str] = mapped_column(String(16))
    model: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at()


class SessionConcept(Base):
    __tablename__ = "session_concepts"
    __table_args__ = (
        UniqueConstraint("analysis_id", "key"),
        CheckConstraint(check_in("learner_showed", LearnerShowed), name="learner_showed"),
        CheckConstraint("difficulty BETWEEN 1 AND 10", name="difficulty"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    analysis_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("session_analyses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(300))
    difficulty: Mapped[int] = mapped_column(Integer)
    learner_showed: Mapped[str] = mapped_column(String(16))
    # [{quote (the transcript's words), speaker, role, time "HH:MM:SS" | null, utterance_index, similarity}]
    evidence: Mapped[list] = mapped_column(JSONB)
    # The learner's topic this concept is (an existing one, or one of the session's practice course).
    topic_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    matched: Mapped[str] = mapped_column(String(16), server_default="none")  # existing | practice | none


class MasteryEvidence(Base):
    """A session's contribution to a topic's mastery: one observation per concept, weighted below a
    quiz answer. Kept apart so deleting the session (or analysing it again) removes exactly its
    contributions, and mastery is recomputed from quiz answers and the evidence that remains."""

    __tablename__ = "mastery_evidence"
    __table_args__ = (
        UniqueConstraint("concept_id"),
        CheckConstraint(check_in("observation", LearnerShowed), name="observation"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tutoring_sessions.id", ondelete="CASCADE"), index=True)
    concept_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("session_concepts.id", ondelete="CASCADE"))
    observation: Mapped[str] = mapped_column(String(16))
    weight: Mapped[float] = mapped_column(Float)
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
