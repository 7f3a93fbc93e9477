from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class StudyTime(Base):
    """Seconds a learner spent studying on a day, per activity (notes, review, flashcards; a quiz
    counts in its attempt). One row per (learner, day, activity), capped per day when added."""

    __tablename__ = "study_time"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    activity: Mapped[str] = mapped_column(String(16), primary_key=True)
    seconds: Mapped[int] = mapped_column(Integer, server_default="0")
