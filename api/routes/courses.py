from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.service import RPCError

from api.auth import Principal
from api.conditional import NOT_MODIFIED, conditional_json
from api.course_start import CourseRequest, start_course
from api.deps import CurrentUserDep, PrincipalDep, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.learner_read import read_as_learner
from api.llm_budget import within_llm_budget
from api.openapi_errors import CONFLICT, NOT_FOUND, RATE_LIMITED, UNAVAILABLE
from api.owned import owned_course
from api.rate_limit import generation_rate_limit
from api.schemas.courses import (
    Chapter,
    CourseAccepted,
    CourseCreate,
    CourseDetail,
    CourseList,
    CourseSummary,
)
from api.schemas.topics import TopicSummary
from db.models import Course, RemediationPlan, Source, StudyContent, Topic
from db.polled_reads import COURSE
from studyflow import workflow_ids
from studyflow.statuses import CourseStatus, GenerationStatus, SourceStatus, TopicStatus
from workflows.course_generation import CourseGenerationWorkflow

log = logging.getLogger("studyflow.api.courses")
router = APIRouter(prefix="/v1/courses", tags=["courses"])
_QUERY_TIMEOUT = timedelta(seconds=2)


@router.post(
    "",
    status_code=202,
    response_model=CourseAccepted,
    dependencies=[Depends(generation_rate_limit), Depends(within_llm_budget)],
    # 404/409: a named source is not yours or not ready.
    responses={**NOT_FOUND, **CONFLICT, **RATE_LIMITED, **UNAVAILABLE},
)
async def create_course(
    body: CourseCreate,
    user: CurrentUserDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> CourseAccepted:
    sources = await _ready_sources(session, user.id, body.source_ids)
    return await start_course(
        session,
        temporal,
        settings,
        user,
        CourseRequest(
            topic=body.topic or _topic_from(sources[0].name),
            course_type=body.course_type.value,
            difficulty=body.difficulty.value,
            preferences=body.preferences.model_dump(exclude_none=True),
            source_ids=[source.id for source in sources],
        ),
    )


async def _ready_sources(session: AsyncSession, owner_id: uuid.UUID, source_ids: list[uuid.UUID]) -> list[Source]:
    if not source_ids:
        return []
    found = {
        s.id: s
        for s in await session.scalars(select(Source).where(Source.id.in_(source_ids), Source.owner_id == owner_id))
    }
    for source_id in source_ids:
        source = found.get(source_id)
        if source is None:
            raise ApiError(404, f"source {source_id} not found")
        if source.status != SourceStatus.ready:
            raise ApiError(409, f"source {source.name!r} is {source.status}; a course needs ready sources")
    return [found[i] for i in source_ids]


def _topic_from(name: str) -> str:
    """A course named after its first source: "lecture-3.pdf" → "lecture 3"."""
    stem = name.rsplit(".", 1)[0] if "." in name[-6:] else name
    topic = " ".join(stem.replace("_", " ").replace("-", " ").split())[:200]
    return topic if len(topic) >= 3 else f"Notes: {topic}".strip()


@router.get("", response_model=CourseList)
async def list_courses(
    *,
    limit: int = Query(20, ge=1, le=100),
    # Bounded: PostgreSQL's OFFSET is a bigint, and no learner pages past a million rows.
    offset: int = Query(0, ge=0, le=1_000_000),
    user: CurrentUserDep,
    session: SessionDep,
) -> CourseList:
    total = await session.scalar(select(func.count()).where(Course.owner_id == user.id))
    rows = await session.scalars(
        select(Course)
        .where(Course.owner_id == user.id)
        .order_by(Course.created_at.desc(), Course.id)
        .limit(limit)
        .offset(offset)
    )
    return CourseList(
        items=[CourseSummary.model_validate(c) for c in rows], total=total or 0, limit=limit, offset=offset
    )


@router.get("/{course_id}", response_model=CourseDetail, responses={**NOT_FOUND, **NOT_MODIFIED})
async def get_course(course_id: uuid.UUID, request: Request, principal: PrincipalDep) -> Response:
    return conditional_json(request, await _course_detail(request, principal, course_id))


@router.get("/{course_id}/progress", response_model=CourseDetail, responses=NOT_FOUND)
async def get_course_progress(
    course_id: uuid.UUID,
    request: Request,
    principal: PrincipalDep,
    temporal: TemporalDep,
) -> CourseDetail:
    """Like GET /v1/courses/{id}, plus the live stage queried from the running workflow."""
    detail = await _course_detail(request, principal, course_id)
    if detail.status == CourseStatus.generating and detail.workflow_id:
        try:
            handle = temporal.get_workflow_handle(detail.workflow_id)
            detail.generation_stage = await handle.query(CourseGenerationWorkflow.stage, rpc_timeout=_QUERY_TIMEOUT)
        except RPCError as exc:
            log.info("live stage of %s unavailable: %s", detail.workflow_id, exc)
    return detail


async def _course_detail(request: Request, principal: Principal, course_id: uuid.UUID) -> CourseDetail:
    row = await read_as_learner(request, principal, COURSE, course_id=course_id)
    if row["id"] is None:
        raise ApiError(404, f"course {course_id} not found")
    chapters: dict[int, Chapter] = {}
    for topic in row["topics"]:
        chapter = chapters.setdefault(
            topic["chapter_index"], Chapter(index=topic["chapter_index"], title=topic["chapter_title"], topics=[])
        )
        chapter.topics.append(TopicSummary.model_validate(topic))
    return CourseDetail(
        **{k: row[k] for k in CourseSummary.model_fields},
        preferences=row["preferences"] or {},
        **{k: row[k] for k in ("title", "outline_source", "outline_model", "error", "workflow_id")},
        chapters=list(chapters.values()),
        study_content=row["study_content"],
        sources=row["sources"],
    )


@router.delete("/{course_id}", status_code=204, response_class=Response)
async def delete_course(
    course_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    course = await owned_course(session, course_id, user)
    running = await _running_workflow_ids(session, course)
    await session.execute(delete(Course).where(Course.id == course.id))
    await session.commit()
    for workflow_id in running:
        try:
            await temporal.get_workflow_handle(workflow_id).cancel()
        except RPCError as exc:  # already finished: nothing to cancel
            log.info("cancel %s: %s", workflow_id, exc)
    return Response(status_code=204)


async def _running_workflow_ids(session: AsyncSession, course: Course) -> list[str]:
    """Every workflow that may still be working on the course: outline, notes, study content and
    remediation; each would otherwise run into a missing subject."""
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
