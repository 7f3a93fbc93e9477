"""Starting a course: the daily quota, the row and its workflow's recorded start in one
transaction, then the start. `POST /v1/courses` and accepting a suggestion both come here; the
latter adds its goal to the same transaction (`with_rows`), so nothing is half-written."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import ApiError
from api.schemas.courses import CourseAccepted
from api.workflow_launch import WorkflowNotStarted, launch
from db.models import Course, CourseSource, User
from db.user_counters import consume_course_quota, refund_course_quota
from studyflow import search_attributes, start_inputs, workflow_ids
from studyflow.contracts.workflow_inputs import CourseGenerationInput
from studyflow.local_day import seconds_until_tomorrow, today_in
from studyflow.settings import Settings
from studyflow.workflow_outbox import discard_start, record_start
from workflows.course_generation import CourseGenerationWorkflow


@dataclass(frozen=True)
class CourseRequest:
    topic: str
    course_type: str
    difficulty: str
    preferences: dict = field(default_factory=dict)
    source_ids: list[uuid.UUID] = field(default_factory=list)  # ready sources of the learner's, in order


async def start_course(
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
    user: User,
    request: CourseRequest,
    *,
    with_rows: Callable[[uuid.UUID], Awaitable[None]] | None = None,
) -> CourseAccepted:
    """429 over the daily quota (nothing written); 503 when the workflow cannot start (the course,
    what `with_rows` added through it, and the quota unit are all taken back)."""
    today = today_in(settings.day_timezone)
    limit = settings.courses_per_day(user.plan)
    if not await consume_course_quota(session, user.id, today, limit):
        await session.rollback()
        raise ApiError(
            429,
            f"daily course limit reached: {limit} per day on the {user.plan} plan",
            headers={"Retry-After": str(seconds_until_tomorrow(settings.day_timezone))},
        )
    course_id = uuid.uuid4()
    workflow_id = workflow_ids.course_generation(course_id)
    session.add(
        Course(
            id=course_id,
            owner_id=user.id,
            topic=request.topic,
            course_type=request.course_type,
            difficulty=request.difficulty,
            preferences=request.preferences,
            status="generating",
            workflow_id=workflow_id,
        )
    )
    await session.flush()
    session.add_all(
        CourseSource(course_id=course_id, source_id=source_id, position=position)
        for position, source_id in enumerate(request.source_ids)
    )
    if with_rows is not None:
        await with_rows(course_id)
    record = await record_start(
        session,
        temporal,
        CourseGenerationWorkflow,
        CourseGenerationInput(
            course_id=course_id,
            shape=start_inputs.outline_shape(settings),
            retry=start_inputs.llm_retry(settings),
            background_notes=settings.background_notes_enabled,
            background_task_queue=settings.task_queue_background,
            cpu_task_queue=settings.task_queue_cpu,
        ),
        id=workflow_id,
        task_queue=settings.task_queue_interactive,
        search_attributes=search_attributes.for_course(user.id, course_id),
    )
    await session.commit()
    try:
        await launch(session, temporal, settings, record)
    except WorkflowNotStarted as exc:
        # Nothing half-written: no workflow means no course (its goal goes with it: ON DELETE
        # CASCADE), and the quota is given back.
        await session.execute(delete(Course).where(Course.id == course_id))
        await discard_start(session, workflow_id)
        await refund_course_quota(session, user.id, today)
        await session.commit()
        raise ApiError(503, "workflow service unavailable, the course was not created") from exc
    return CourseAccepted(
        course_id=course_id,
        workflow_id=workflow_id,
        status="generating",
        status_url=f"/v1/courses/{course_id}",
    )
