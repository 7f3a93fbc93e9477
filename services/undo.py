"""Undoing an admission, the one way per kind of subject: the row is failed with a reason the
learner reads (so what they were answered, 202 and an id, stays true) and the daily quota it took
is given back. Used when a recorded start can never be made (the relay gives up) and when a row
was left in progress with no workflow behind it (the stuck-row repair)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Course, GradingReview, QuizAttempt, RemediationPlan, StudyContent, Topic
from db.user_counters import refund_course_quota, refund_study_content_quota
from services.source_failure import fail_source
from studyflow.local_day import today_in
from studyflow.object_store import ObjectStore
from studyflow.statuses import (
    AttemptGrading,
    CourseStatus,
    GenerationStatus,
    GradeOutcome,
    ReviewStatus,
    SubjectKind,
    TopicStatus,
)

log = logging.getLogger("studyflow.undo")

INTERRUPTED = "Generation was interrupted and could not be resumed; request it again."
NOT_STARTED = "Generation could not be started; request it again."
SOURCE_INTERRUPTED = "Reading this file was interrupted; upload it again."


async def undo(
    sessions: async_sessionmaker[AsyncSession],
    store: ObjectStore,
    day_timezone: str,
    kind: SubjectKind,
    subject_id: uuid.UUID,
    reason: str = INTERRUPTED,
) -> bool:
    """True when the subject was still in progress and is now failed (and its quota refunded)."""
    if kind == SubjectKind.source:
        return await fail_source(sessions, store, subject_id, SOURCE_INTERRUPTED)
    if kind == SubjectKind.session:
        return await _undo_session(sessions, store, subject_id)
    async with sessions.begin() as session:
        if kind == SubjectKind.grading:
            return await _undo_grading(session, subject_id)
        if kind == SubjectKind.course:
            return await _undo_course(session, day_timezone, subject_id, reason)
        if kind == SubjectKind.study_content:
            return await _undo_study_content(session, day_timezone, subject_id, reason)
        if kind in (SubjectKind.topic, SubjectKind.remediation):
            model = Topic if kind == SubjectKind.topic else RemediationPlan
            in_progress = TopicStatus.generating if kind == SubjectKind.topic else GenerationStatus.generating
            failed = await session.scalar(
                update(model)
                .where(model.id == subject_id, model.status == in_progress)
                .values(status=GenerationStatus.failed, error=reason)
                .returning(model.id)
            )
            return failed is not None
    # A met goal stays met (its suggestions simply never come); a Clerk event is redelivered by
    # Clerk until it succeeds. Neither has a row in progress to fail.
    log.warning("nothing to undo for %s %s", kind, subject_id)
    return False


async def _undo_grading(session: AsyncSession, attempt_id: uuid.UUID) -> bool:
    """The attempt's free-text answers could never be graded: they are final at 0, marked failed
    (mastery is not moved on a grade nobody made), and the attempt counts what was graded."""
    failed = (
        await session.scalars(
            update(GradingReview)
            .where(GradingReview.attempt_id == attempt_id, GradingReview.status != ReviewStatus.final)
            .values(status=ReviewStatus.final, outcome=GradeOutcome.failed, final={"scores": {}, "total": 0.0})
            .returning(GradingReview.id)
        )
    ).all()
    await session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt_id, QuizAttempt.grading_status == AttemptGrading.grading)
        .values(grading_status=AttemptGrading.graded)
    )
    return bool(failed)


async def _undo_course(session: AsyncSession, day_timezone: str, course_id: uuid.UUID, reason: str) -> bool:
    failed = (
        await session.execute(
            update(Course)
            .where(Course.id == course_id, Course.status == CourseStatus.generating)
            .values(status=CourseStatus.failed, error=reason)
            .returning(Course.owner_id, Course.created_at)
        )
    ).first()
    if failed:
        await refund_course_quota(session, failed.owner_id, today_in(day_timezone, failed.created_at))
    return failed is not None


async def _undo_study_content(session: AsyncSession, day_timezone: str, content_id: uuid.UUID, reason: str) -> bool:
    # The quota was taken on the day of the request, the row's last change.
    requested = (
        await session.execute(
            select(StudyContent.updated_at, Course.owner_id)
            .join(Course, Course.id == StudyContent.course_id)
            .where(StudyContent.id == content_id, StudyContent.status == GenerationStatus.generating)
            .with_for_update(of=StudyContent)
        )
    ).first()
    if not requested:
        return False
    await session.execute(
        update(StudyContent).where(StudyContent.id == content_id).values(status=GenerationStatus.failed, error=reason)
    )
    await refund_study_content_quota(session, requested.owner_id, today_in(day_timezone, requested.updated_at))
    return True


SESSION_INTERRUPTED = "Analysing this session was interrupted; upload it again or correct it to analyse it again."


async def _undo_session(sessions: async_sessionmaker[AsyncSession], store: ObjectStore, session_id: uuid.UUID) -> bool:
    from db.models import TutoringSession
    from services.sessions import fail_session

    async with sessions.begin() as session:
        failed = await fail_session(session, session_id, None, SESSION_INTERRUPTED)
        source_id = await session.scalar(select(TutoringSession.source_id).where(TutoringSession.id == session_id))
    if source_id is not None:  # a first analysis never read: its transcript goes with it
        await fail_source(sessions, store, source_id, SESSION_INTERRUPTED)
    return failed
