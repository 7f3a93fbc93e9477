from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at, updated_at, uuid_pk
from studyflow.statuses import SourceStatus, check_in

SOURCE_KINDS = ("pdf", "markdown", "text", "html", "url", "docx", "transcript")


class Source(Base):
    """A learner's own material. The upload is stored once per owner (content hash) and its chunks
    live in content_chunks with this source's id and a locator (page, heading, timestamp)."""

    __tablename__ = "sources"
    __table_args__ = (
        UniqueConstraint("owner_id", "content_hash"),
        CheckConstraint(check_in("status", SourceStatus), name="status"),
        CheckConstraint(f"kind IN {SOURCE_KINDS}", name="kind"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # How the stored bytes are read: the kind of an upload; for a URL, what the page turned out to be.
    format: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(80))
    size_bytes: Mapped[int] = mapped_column(BigInteger, server_default="0")
    object_key: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), server_default=SourceStatus.processing.value)
    error: Mapped[str | None] = mapped_column(Text)
    units: Mapped[int | None] = mapped_column(Integer)  # pages of a PDF, segments of anything else
    skipped_units: Mapped[int] = mapped_column(Integer, server_default="0")
    chunk_count: Mapped[int] = mapped_column(Integer, server_default="0")
    retry_count: Mapped[int] = mapped_column(Integer, server_default="0")
    workflow_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class CourseSource(Base):
    """The sources a course is built from, in the order the learner gave them."""

    __tablename__ = "course_sources"

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, server_default="0")
