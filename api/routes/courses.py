from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import func, select
from temporalio.service import RPCError

from api.auth import Principal
from api.conditional import NOT_MODIFIED, conditional_json
from api.deps import AdmissionDep, CurrentUserDep, PrincipalDep, SessionDep, TemporalDep
from api.learner_read import read_as_learner
from api.openapi_errors import CONFLICT, NOT_FOUND, RATE_LIMITED
from api.schemas.courses import (
    Chapter,
    CourseAccepted,
    CourseCreate,
    CourseDetail,
    CourseList,
    CourseSummary,
)
from api.schemas.topics import TopicSummary
from api.views.courses import course_accepted
from db.models import Course
from db.polled_reads import COURSE
from services import courses
from services.courses import CourseRequest, admit_course
from services.owned import owned_course
from services.policy import Action
from studyflow import workflow_types
from studyflow.statuses import CourseStatus

log = logging.getLogger("studyflow.api.courses")
router = APIRouter(prefix="/v1/courses", tags=["courses"])
_QUERY_TIMEOUT = timedelta(seconds=2)


@router.post(
    "",
    status_code=202,
    response_model=CourseAccepted,
    # 404/409: a named source is not yours or not ready.
    responses={**NOT_FOUND, **CONFLICT, **RATE_LIMITED},
)
async def create_course(body: CourseCreate, admission: AdmissionDep) -> CourseAccepted:
    admitted = await admit_course(
        admission,
        CourseRequest(
            topic=body.topic,
            course_type=body.course_type.value,
            difficulty=body.difficulty.value,
            preferences=body.preferences.model_dump(exclude_none=True),
            source_ids=body.source_ids,
        ),
    )
    return course_accepted(admitted)


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
            detail.generation_stage = await handle.query(
                workflow_types.COURSE_STAGE_QUERY, rpc_timeout=_QUERY_TIMEOUT, result_type=str
            )
        except RPCError as exc:
            log.info("live stage of %s unavailable: %s", detail.workflow_id, exc)
    return detail


async def _course_detail(request: Request, principal: Principal, course_id: uuid.UUID) -> CourseDetail:
    row = await read_as_learner(
        request,
        principal,
        COURSE,
        what=f"course {course_id}",
        owner_of=lambda session, actor: _course_owner(session, actor, course_id),
        course_id=course_id,
    )
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
    await courses.delete_course(session, temporal, await owned_course(session, course_id, user))
    return Response(status_code=204)


async def _course_owner(session, actor, course_id: uuid.UUID) -> uuid.UUID:
    return (await owned_course(session, course_id, actor, Action.read)).owner_id
