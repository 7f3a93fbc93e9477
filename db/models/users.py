from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at, updated_at, uuid_pk


class User(Base):
    """A learner. Counters are only ever changed with `SET x = x + n` in SQL."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("plan IN ('free', 'pro')", name="plan"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    clerk_id: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    # What tutors and admins see of the person (the token's name claim, or the dev sign-in's).
    display_name: Mapped[str | None] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(String(16), server_default="free")
    subscription_status: Mapped[str | None] = mapped_column(String(32))
    streak_current: Mapped[int] = mapped_column(Integer, server_default="0")
    streak_longest: Mapped[int] = mapped_column(Integer, server_default="0")
    last_active_date: Mapped[date | None] = mapped_column(Date)
    study_seconds: Mapped[int] = mapped_column(BigInteger, server_default="0")
    courses_completed: Mapped[int] = mapped_column(Integer, server_default="0")
    usage_date: Mapped[date | None] = mapped_column(Date)
    courses_created_today: Mapped[int] = mapped_column(Integer, server_default="0")
    study_content_today: Mapped[int] = mapped_column(Integer, server_default="0")
    quiz_attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    quiz_questions: Mapped[int] = mapped_column(Integer, server_default="0")
    quiz_correct: Mapped[int] = mapped_column(Integer, server_default="0")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
