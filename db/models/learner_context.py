from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, updated_at, uuid_pk


class LearnerContext(Base):
    """What a tutor reads before a session with a learner: facts assembled from the learner's data
    and a prose summary the LLM wrote in a workflow (never in a request), refreshed when new
    evidence arrives (an attempt, a session, a hand-off): `stale` marks it due."""

    __tablename__ = "learner_contexts"
    __table_args__ = (UniqueConstraint("organization_id", "learner_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    summary: Mapped[str | None] = mapped_column(Text)
    facts: Mapped[dict | None] = mapped_column(JSONB)
    model: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, server_default="0")
    generated_version: Mapped[int] = mapped_column(Integer, server_default="-1")
    generated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = updated_at()
