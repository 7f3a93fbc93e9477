from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at, updated_at, uuid_pk
from studyflow.statuses import GoalStatus, SuggestionStatus, check_in


class Goal(Base):
    """A learner's goal. Progress is never stored: it is computed from the data the product keeps
    (db/goal_measures.py); only the outcome is (`met` once, by a status guard)."""

    __tablename__ = "goals"
    __table_args__ = (
        CheckConstraint("kind IN ('course_by_date', 'daily_minutes', 'daily_reviews', 'mastery')", name="kind"),
        CheckConstraint(check_in("status", GoalStatus), name="status"),
        CheckConstraint("kind NOT IN ('course_by_date', 'mastery') OR course_id IS NOT NULL", name="course"),
        # The day a goal ends (its due date; a habit's last day), for goal completion analytics.
        Index("ix_goals_end_day", text("(coalesce(due_date, start_date + days - 1))")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    course_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    # Minutes or reviews a day; a mastery level 0-1; 100 (percent) for a course by a date.
    target: Mapped[Decimal] = mapped_column(Numeric(8, 3))
    days: Mapped[int | None] = mapped_column(Integer)  # a habit: on how many days to reach the target
    due_date: Mapped[date | None] = mapped_column(Date)
    start_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), server_default=GoalStatus.active.value)
    met_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class SubjectSuggestion(Base):
    """What to study next, proposed once per met goal (SubjectSuggestionsWorkflow)."""

    __tablename__ = "subject_suggestions"
    __table_args__ = (
        UniqueConstraint("goal_id", "position"),
        CheckConstraint(check_in("status", SuggestionStatus), name="status"),
        Index("ix_subject_suggestions_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # llm | template
    status: Mapped[str] = mapped_column(String(16), server_default=SuggestionStatus.open.value)
    course_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
