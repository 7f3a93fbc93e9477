"""Who an assignment is for, one row per learner: written when it is given (a group's fan out in a
workflow), when a learner joins a group that has open ones, and completed by what the learner
does (an attempt on its quiz, reviews of its cards). Every write is idempotent (UNIQUE per
assignment and learner; completion guarded by status), so a retried activity changes nothing."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Assignment, AssignmentTarget, GroupMember, StudyContent
from services.notifications import notify
from studyflow.statuses import AssignmentKind, AssignmentStatus


async def give(session: AsyncSession, assignment: Assignment, learner_ids: list[uuid.UUID]) -> int:
    """Targets for these learners (those who have one keep it), each announced once."""
    if not learner_ids:
        return 0
    given = list(
        await session.scalars(
            insert(AssignmentTarget)
            .values([{"assignment_id": assignment.id, "learner_id": learner} for learner in learner_ids])
            .on_conflict_do_nothing(index_elements=["assignment_id", "learner_id"])
            .returning(AssignmentTarget.learner_id)
        )
    )
    due = f", due {assignment.due_date:%A %d %B}" if assignment.due_date else ""
    for learner in given:
        await notify(
            session,
            learner,
            "assignment",
            f"New assignment: {assignment.title}{due}." + (f" {assignment.note}" if assignment.note else ""),
            key=f"assignment:{assignment.id}:{learner}",
            link=f"/assignments/{assignment.id}",
        )
    return len(given)


async def fan_out(session: AsyncSession, assignment_id: uuid.UUID, batch_size: int = 500) -> int:
    """A group's assignment to its members, in batches; the rest on the next call."""
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None or assignment.group_id is None:
        return 0
    learners = list(
        await session.scalars(
            select(GroupMember.user_id)
            .where(GroupMember.group_id == assignment.group_id)
            .where(
                ~select(AssignmentTarget.id)
                .where(
                    AssignmentTarget.assignment_id == assignment_id, AssignmentTarget.learner_id == GroupMember.user_id
                )
                .exists()
            )
            .limit(batch_size)
        )
    )
    return await give(session, assignment, learners)


async def give_open_assignments(session: AsyncSession, group_id: uuid.UUID, learner_id: uuid.UUID) -> int:
    """A learner joining a group gets its assignments that are not past their due date."""
    total = 0
    for assignment in await session.scalars(
        select(Assignment).where(
            Assignment.group_id == group_id,
            or_(Assignment.due_date.is_(None), Assignment.due_date >= date.today()),
        )
    ):
        total += await give(session, assignment, [learner_id])
    return total


async def complete_by_attempt(
    session: AsyncSession, learner_id: uuid.UUID, quiz: StudyContent, percentage: float
) -> None:
    """An attempt on a quiz completes the learner's assignments of it (and of its course); the
    first attempt's score is what the tutor sees."""
    assignment_ids = select(Assignment.id).where(
        or_(
            Assignment.study_content_id == quiz.id,
            (Assignment.course_id == quiz.course_id)
            & Assignment.kind.in_((AssignmentKind.course, AssignmentKind.quiz, AssignmentKind.practice_set)),
        )
    )
    await session.execute(
        update(AssignmentTarget)
        .where(
            AssignmentTarget.learner_id == learner_id,
            AssignmentTarget.status == AssignmentStatus.open,
            AssignmentTarget.assignment_id.in_(assignment_ids),
        )
        .values(status=AssignmentStatus.completed, score_pct=percentage, completed_at=func.now())
    )


async def complete_by_reviews(
    session: AsyncSession, learner_id: uuid.UUID, content: StudyContent, cards_reviewed: int
) -> None:
    """A flashcard assignment is done once every card of its set has been reviewed."""
    if cards_reviewed < len((content.payload or {}).get("cards", [])):
        return
    await session.execute(
        update(AssignmentTarget)
        .where(
            AssignmentTarget.learner_id == learner_id,
            AssignmentTarget.status == AssignmentStatus.open,
            AssignmentTarget.assignment_id.in_(
                select(Assignment.id).where(
                    or_(
                        Assignment.study_content_id == content.id,
                        (Assignment.course_id == content.course_id) & (Assignment.kind == AssignmentKind.flashcards),
                    )
                )
            ),
        )
        .values(status=AssignmentStatus.completed, completed_at=func.now())
    )
