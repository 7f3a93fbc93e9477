from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, uuid_pk


class RateLimitBucket(Base):
    """Token bucket per learner and kind of work (one per quiz for attempts), shared by every API
    instance."""

    __tablename__ = "rate_limit_buckets"
    __table_args__ = (UniqueConstraint("user_id", "bucket"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    bucket: Mapped[str] = mapped_column(String(64))
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
