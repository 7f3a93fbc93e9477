from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at, uuid_pk


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # One nudge a learner a day (kind engagement) …
        Index(
            "uq_notifications_user_id_kind_day",
            "user_id",
            "kind",
            "day",
            unique=True,
            postgresql_where=text("goal_id IS NULL AND dedupe_key IS NULL AND subject_id IS NULL"),
        ),
        # … one "ready" announcement per thing that finished (a course, notes, a set, a plan) …
        Index(
            "uq_notifications_kind_subject_id",
            "kind",
            "subject_id",
            unique=True,
            postgresql_where=text("subject_id IS NOT NULL"),
        ),
        # … and one announcement per met goal, however many goals are met that day.
        Index("uq_notifications_goal_id", "goal_id", unique=True, postgresql_where=text("goal_id IS NOT NULL")),
        # … and one per event of the product's (an assignment given, a hand-off sent): its key.
        Index(
            "uq_notifications_dedupe_key", "dedupe_key", unique=True, postgresql_where=text("dedupe_key IS NOT NULL")
        ),
        # A day's nudges, for nudge effectiveness analytics.
        Index("ix_notifications_nudge_day", "day", postgresql_where=text("kind = 'engagement'")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(16))  # llm | template
    day: Mapped[date] = mapped_column(Date)
    goal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    # What a "ready" announcement is about, and where the app opens it.
    subject_id: Mapped[uuid.UUID | None] = mapped_column()
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = created_at()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
