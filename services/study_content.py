"""Flashcards and quizzes: one row per (course, type), generated once however often it is asked for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from db.models import Course, StudyContent
from services.admission import Admission
from services.errors import ServiceError
from services.llm_allowance import LlmWork
from services.outbox import StartRequest
from studyflow import search_attributes, start_inputs, workflow_ids, workflow_types
from studyflow.contracts.workflow_inputs import StudyContentInput
from studyflow.statuses import CourseStatus, GenerationStatus, SubjectKind


@dataclass(frozen=True)
class ContentAdmitted:
    content_id: uuid.UUID
    workflow_id: str
    status: GenerationStatus


async def request_study_content(admission: Admission, course: Course, kind: str) -> ContentAdmitted:
    """A row in `generating` or `completed` is returned as it is (no new job); a `failed` one is
    reused; otherwise one is inserted. Only a request that starts work takes quota."""
    session, actor, settings = admission.session, admission.actor, admission.settings
    if course.status != CourseStatus.ready:
        raise ServiceError(409, f"course {course.id} is {course.status}; study content needs a ready course")
    await admission.allow_llm(LlmWork.study_content)
    # The unique (course, type) key decides races: one insert wins, the rest read its row.
    content_id = await session.scalar(
        insert(StudyContent)
        .values(course_id=course.id, type=kind, status=GenerationStatus.generating)
        .on_conflict_do_nothing(index_elements=["course_id", "type"])
        .returning(StudyContent.id)
    )
    start = content_id is not None
    if content_id is None:
        existing = (
            await session.execute(
                select(StudyContent.id, StudyContent.status).where(
                    StudyContent.course_id == course.id, StudyContent.type == kind
                )
            )
        ).one()
        content_id = existing.id
        if existing.status == GenerationStatus.failed:
            start = (
                await session.scalar(
                    update(StudyContent)
                    .where(StudyContent.id == content_id, StudyContent.status == GenerationStatus.failed)
                    .values(status=GenerationStatus.generating, error=None)
                    .returning(StudyContent.id)
                )
            ) is not None
    workflow_id = workflow_ids.study_content(content_id)
    if start:
        await admission.take_study_content_quota()
        await admission.record(
            StartRequest(
                workflow_type=workflow_types.STUDY_CONTENT,
                argument=StudyContentInput(content_id=content_id, retry=start_inputs.llm_retry(settings)),
                workflow_id=workflow_id,
                task_queue=settings.task_queue_interactive,
                search_attributes=search_attributes.for_course(actor.id, course.id),
                subject_kind=SubjectKind.study_content,
                subject_id=content_id,
                # A previous run that already marked the content failed may not have closed yet.
                terminate_existing=True,
            )
        )
        await admission.commit()
        return ContentAdmitted(content_id, workflow_id, GenerationStatus.generating)
    await admission.commit()  # the rate-limit token
    status = (await session.execute(select(StudyContent.status).where(StudyContent.id == content_id))).scalar_one()
    return ContentAdmitted(content_id, workflow_id, GenerationStatus(status))
