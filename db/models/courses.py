from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at, updated_at, uuid_pk
from studyflow.statuses import CourseStatus, TopicStatus, check_in


class Course(Base):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint(check_in("status", CourseStatus), name="status"),
        CheckConstraint("topics_completed <= topics_total", name="progress"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(200))
    course_type: Mapped[str] = mapped_column(String(32))
    difficulty: Mapped[str] = mapped_column(String(32))
    preferences: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    outline: Mapped[dict | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), server_default=CourseStatus.generating.value)
    error: Mapped[str | None] = mapped_column(Text)
    retry_count: Mapped[int] = mapped_column(Integer, server_default="0")
    outline_source: Mapped[str | None] = mapped_column(String(16))  # llm | fallback
    outline_model: Mapped[str | None] = mapped_column(String(200))
    workflow_id: Mapped[str | None] = mapped_column(String(200))
    topics_total: Mapped[int] = mapped_column(Integer, server_default="0")
    topics_completed: Mapped[int] = mapped_column(Integer, server_default="0")
    progress_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), server_default="0")
    # What the learner did: topics whose notes they read (studyflow/study_progress.py).
    topics_read: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Topic(Base):
    __tablename__ = "topics"
    __table_args__ = (
        UniqueConstraint("course_id", "chapter_index", "topic_index"),
        CheckConstraint(check_in("status", TopicStatus), name="status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    chapter_index: Mapped[int] = mapped_column(Integer)
    chapter_title: Mapped[str] = mapped_column(String(300))
    topic_index: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    notes_md: Mapped[str | None] = mapped_column(Text)
    notes_model: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), server_default=TopicStatus.pending.value)
    error: Mapped[str | None] = mapped_column(Text)
    retry_count: Mapped[int] = mapped_column(Integer, server_default="0")
    background_queued: Mapped[bool] = mapped_column(Boolean, server_default="false")
    generated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Seconds the learner spent on the notes, and when that first reached the "read" mark.
    read_seconds: Mapped[int] = mapped_column(Integer, server_default="0")
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
