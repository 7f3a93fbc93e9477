from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at, updated_at, uuid_pk
from studyflow.statuses import ConversationStatus, HandoffStatus, check_in


class Conversation(Base):
    """A tutor chat: a long-lived ConversationWorkflow answers its questions one Update each."""

    __tablename__ = "conversations"
    __table_args__ = (CheckConstraint(check_in("status", ConversationStatus), name="status"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Scope of the material it answers from: one course (and its sources), or all of the learner's.
    course_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), server_default=ConversationStatus.open.value)
    workflow_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class ConversationMessage(Base):
    """A question and its answer share the request id of the Update that asked it, so a retried
    answer finds both instead of writing them again."""

    __tablename__ = "conversation_messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "request_id", "role"),
        CheckConstraint("role IN ('learner', 'tutor')", name="role"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    citations: Mapped[list] = mapped_column(JSONB, server_default="[]")
    confidence: Mapped[float | None] = mapped_column(Float)
    answerable: Mapped[bool | None] = mapped_column(Boolean)
    topic_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    suggest_tutor: Mapped[bool] = mapped_column(Boolean, server_default="false")
    tutor_reason: Mapped[str | None] = mapped_column(Text)
    handoff_id: Mapped[uuid.UUID | None] = mapped_column()
    model: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at()


class TutorHandoff(Base):
    """What a human tutor reads before a session: one per conversation, refreshed when the
    learner is routed again."""

    __tablename__ = "tutor_handoffs"
    __table_args__ = (
        CheckConstraint(check_in("status", HandoffStatus), name="status"),
        # An organisation's hand-offs sent or decided on a day, for analytics.
        Index("ix_tutor_handoffs_organization_id_sent_at", "organization_id", "sent_at"),
        Index("ix_tutor_handoffs_organization_id_decided_at", "organization_id", "decided_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), unique=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    summary: Mapped[dict] = mapped_column(JSONB)
    # Sent by the learner to one of their tutors, who accepts, resolves or declines it.
    status: Mapped[str] = mapped_column(String(16), server_default=HandoffStatus.draft.value)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    tutor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tutor_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
