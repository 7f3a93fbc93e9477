"""Courses: admitting one (from a topic or the learner's ready sources), and deleting one with the
workflows still working on it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from db.models import Course, CourseSource, RemediationPlan, Source, StudyContent, Topic
from services.admission import Admission
from services.errors import ServiceError, not_found
from services.llm_allowance import LlmWork
from services.outbox import StartRequest
from studyflow import search_attributes, start_inputs, workflow_ids, workflow_types
from studyflow.contracts.workflow_inputs import CourseGenerationInput
from studyflow.statuses import CourseStatus, GenerationStatus, SourceStatus, SubjectKind, TopicStatus

log = logging.getLogger("studyflow.courses")


@dataclass(frozen=True)
class CourseRequest:
    topic: str | None
    course_type: str
    difficulty: str
    preferences: dict = field(default_factory=dict)
    source_ids: list[uuid.UUID] = field(default_factory=list)  # the learner's, in order


@dataclass(frozen=True)
class CourseAdmitted:
    course_id: uuid.UUID
    workflow_id: str


async def admit_course(
    admission: Admission,
    request: CourseRequest,
    *,
    with_rows: Callable[[uuid.UUID], Awaitable[None]] | None = None,
) -> CourseAdmitted:
    """429 over the rate, the budget or the daily quota; 404/409 for a source that is not the
    learner's or not ready (or deleted meanwhile); nothing is written unless all of it is.
    `with_rows` adds rows of the caller's to the same transaction (a goal for the course)."""
    session, actor, settings = admission.session, admission.actor, admission.settings
    await admission.allow_llm(LlmWork.course)
    sources = await _ready_sources(session, actor.id, request.source_ids)
    await admission.take_course_quota()
    course_id = uuid.uuid4()
    workflow_id = workflow_ids.course_generation(course_id)
    session.add(
        Course(
            id=course_id,
            owner_id=actor.id,
            topic=request.topic or _topic_from(sources[0].name),
            course_type=request.course_type,
            difficulty=request.difficulty,
            preferences=request.preferences,
            status=CourseStatus.generating,
            workflow_id=workflow_id,
        )
    )
    await session.flush()
    session.add_all(
        CourseSource(course_id=course_id, source_id=source.id, position=position)
        for position, source in enumerate(sources)
    )
    if with_rows is not None:
        await with_rows(course_id)
    await admission.record(
        StartRequest(
            workflow_type=workflow_types.COURSE_GENERATION,
            argument=CourseGenerationInput(
                course_id=course_id,
                shape=start_inputs.outline_shape(settings),
                retry=start_inputs.llm_retry(settings),
                background_notes=settings.background_notes_enabled,
                background_task_queue=settings.task_queue_background,
                cpu_task_queue=settings.task_queue_cpu,
            ),
            workflow_id=workflow_id,
            task_queue=settings.task_queue_interactive,
            search_attributes=search_attributes.for_course(actor.id, course_id),
            subject_kind=SubjectKind.course,
            subject_id=course_id,
        )
    )
    await admission.commit()
    return CourseAdmitted(course_id=course_id, workflow_id=workflow_id)


async def _ready_sources(session: AsyncSession, owner_id: uuid.UUID, source_ids: list[uuid.UUID]) -> list[Source]:
    """Locked for the transaction (KEY SHARE): a source deleted meanwhile either waits for the
    course to commit or is gone before it, never half-way (which was a foreign-key 500)."""
    if not source_ids:
        return []
    found = {
        s.id: s
        for s in await session.scalars(
            select(Source).where(Source.id.in_(source_ids), Source.owner_id == owner_id).with_for_update(key_share=True)
        )
    }
    for source_id in source_ids:
        source = found.get(source_id)
        if source is None:
            raise not_found("source", source_id)
        if source.status != SourceStatus.ready:
            raise ServiceError(409, f"source {source.name!r} is {source.status}; a course needs ready sources")
    return [found[i] for i in source_ids]


def _topic_from(name: str) -> str:
    """A course named after its first source: "lecture-3.pdf" → "lecture 3"."""
    stem = name.rsplit(".", 1)[0] if "." in name[-6:] else name
    topic = " ".join(stem.replace("_", " ").replace("-", " ").split())[:200]
    return topic if len(topic) >= 3 else f"Notes: {topic}".strip()


async def delete_course(session: AsyncSession, temporal: Client, course: Course) -> None:
    """The course goes, and every workflow still working on it is cancelled (each would otherwise
    run into a missing subject)."""
    running = await _running_workflow_ids(session, course)
    await session.execute(delete(Course).where(Course.id == course.id))
    await session.commit()
    await cancel_all(temporal, running)


async def cancel_all(temporal: Client, workflow_ids_: list[str]) -> None:
    for workflow_id in workflow_ids_:
        try:
            await temporal.get_workflow_handle(workflow_id).cancel()
        except RPCError as exc:  # already finished: nothing to cancel
            log.info("cancel %s: %s", workflow_id, exc)


async def _running_workflow_ids(session: AsyncSession, course: Course) -> list[str]:
    running = [workflow_ids.course_generation(course.id)] if course.status == CourseStatus.generating else []
    running += [
        workflow_ids.topic_notes(topic_id)
        for topic_id in await session.scalars(
            select(Topic.id).where(Topic.course_id == course.id, Topic.status == TopicStatus.generating)
        )
    ]
    running += [
        workflow_ids.study_content(content_id)
        for content_id in await session.scalars(
            select(StudyContent.id).where(
                StudyContent.course_id == course.id, StudyContent.status == GenerationStatus.generating
            )
        )
    ]
    running += [
        workflow_ids.remediation(attempt_id)
        for attempt_id in await session.scalars(
            select(RemediationPlan.quiz_attempt_id).where(
                RemediationPlan.course_id == course.id, RemediationPlan.status == GenerationStatus.generating
            )
        )
    ]
    return running
