"""Work a tutor or an admin gives: a course, a quiz, a flashcard set or a practice set, to a
learner or a group, with a due date and a note; one target row per learner carries that
learner's status (a group's assignment fans out, and reaches members who join later)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at, uuid_pk
from studyflow.statuses import AssignmentKind, AssignmentStatus, check_in


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint(check_in("kind", AssignmentKind), name="kind"),
        CheckConstraint("(learner_id IS NULL) <> (group_id IS NULL)", name="one_target"),
        # What fell due on a day, for practice completion analytics.
        Index("ix_assignments_due_date", "due_date"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    # The quiz or set when the assignment is one (made once, on the first learner's open).
    study_content_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("study_contents.id", ondelete="SET NULL"))
    learner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()


class AssignmentTarget(Base):
    __tablename__ = "assignment_targets"
    __table_args__ = (
        UniqueConstraint("assignment_id", "learner_id"),
        CheckConstraint(check_in("status", AssignmentStatus), name="status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    assignment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), server_default=AssignmentStatus.open.value)
    score_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
