from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from api.anki_deck import build_apkg
from api.citations import citations_by_chunk, cited
from api.conditional import NOT_MODIFIED, conditional_json
from api.deps import CurrentUserDep, PrincipalDep, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.learner_read import read_as_learner
from api.llm_budget import within_llm_budget
from api.openapi_errors import BAD_REQUEST, CONFLICT, NOT_FOUND, RATE_LIMITED, UNAVAILABLE
from api.owned import owned_course, owned_study_content
from api.rate_limit import generation_rate_limit
from api.schemas.study_content import (
    FlashcardView,
    NearHitNotice,
    QuizQuestionView,
    StudyContentAccepted,
    StudyContentCreate,
    StudyContentType,
    StudyContentView,
)
from api.workflow_launch import WorkflowNotStarted, launch
from db.models import Course, StudyContent
from db.polled_reads import STUDY_CONTENT
from db.user_counters import consume_study_content_quota, refund_study_content_quota
from studyflow import search_attributes, start_inputs, workflow_ids
from studyflow.contracts.workflow_inputs import StudyContentInput
from studyflow.local_day import seconds_until_tomorrow, today_in
from studyflow.statuses import CourseStatus, GenerationStatus
from studyflow.workflow_outbox import discard_start, record_start
from workflows.study_content import StudyContentWorkflow

router = APIRouter(prefix="/v1", tags=["study content"])


@router.post(
    "/courses/{course_id}/study-content",
    response_model=StudyContentAccepted,
    status_code=202,
    responses={
        200: {"description": "already generated"},
        202: {"description": "generation under way"},
        **BAD_REQUEST,  # an unknown type, naming the choices
        **CONFLICT,
        **RATE_LIMITED,
        **UNAVAILABLE,
    },
    dependencies=[Depends(generation_rate_limit), Depends(within_llm_budget)],
)
async def request_study_content(
    course_id: uuid.UUID,
    body: StudyContentCreate,
    response: Response,
    user: CurrentUserDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> StudyContentAccepted:
    try:
        kind = StudyContentType(body.type.strip().lower())
    except ValueError:
        choices = ", ".join(t.value for t in StudyContentType)
        raise ApiError(400, f"type must be one of {choices} (got {body.type!r})") from None
    course = await owned_course(session, course_id, user)
    if course.status != CourseStatus.ready:
        raise ApiError(409, f"course {course.id} is {course.status}; study content needs a ready course")

    # The unique (course, type) key decides races: one insert wins, the rest read its row.
    content_id = await session.scalar(
        insert(StudyContent)
        .values(course_id=course.id, type=kind.value, status=GenerationStatus.generating)
        .on_conflict_do_nothing(index_elements=["course_id", "type"])
        .returning(StudyContent.id)
    )
    start = content_id is not None
    if not start:
        existing = (
            await session.execute(
                select(StudyContent.id, StudyContent.status).where(
                    StudyContent.course_id == course.id, StudyContent.type == kind.value
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
    today = today_in(settings.day_timezone)
    if start:
        limit = settings.study_content_per_day(user.plan)
        if not await consume_study_content_quota(session, user.id, today, limit):
            await session.rollback()  # the new or reset row goes with it
            raise ApiError(
                429,
                f"daily study-content limit reached: {limit} per day on the {user.plan} plan",
                headers={"Retry-After": str(seconds_until_tomorrow(settings.day_timezone))},
            )
    workflow_id = workflow_ids.study_content(content_id)
    record = None
    if start:
        record = await record_start(
            session,
            temporal,
            StudyContentWorkflow,
            StudyContentInput(content_id=content_id, retry=start_inputs.llm_retry(settings)),
            id=workflow_id,
            task_queue=settings.task_queue_interactive,
            # A previous run that already marked the content failed may not have closed yet.
            terminate_existing=True,
            search_attributes=search_attributes.for_course(user.id, course.id),
        )
    await session.commit()

    accepted = StudyContentAccepted(
        id=content_id,
        type=kind,
        status=GenerationStatus.generating,
        workflow_id=workflow_id,
        status_url=f"/v1/study-content/{content_id}",
    )
    if record is not None:
        try:
            await launch(session, temporal, settings, record)
        except WorkflowNotStarted as exc:
            await session.execute(
                update(StudyContent)
                .where(StudyContent.id == content_id, StudyContent.status == GenerationStatus.generating)
                .values(status=GenerationStatus.failed, error="could not start generation; request it again")
            )
            await discard_start(session, workflow_id)
            await refund_study_content_quota(session, user.id, today)
            await session.commit()
            raise ApiError(503, "workflow service unavailable, try again shortly") from exc
        return accepted

    status = await session.scalar(select(StudyContent.status).where(StudyContent.id == content_id))
    accepted.status = GenerationStatus(status)
    response.status_code = 200 if status == GenerationStatus.completed else 202
    return accepted


@router.get("/study-content/{content_id}", response_model=StudyContentView, responses={**NOT_FOUND, **NOT_MODIFIED})
async def get_study_content(content_id: uuid.UUID, request: Request, principal: PrincipalDep) -> Response:
    content = await read_as_learner(request, principal, STUDY_CONTENT, content_id=content_id)
    if content["id"] is None:
        raise ApiError(404, f"study content {content_id} not found")
    view = StudyContentView(
        id=content["id"],
        course_id=content["course_id"],
        type=content["type"],
        status=content["status"],
        served_from=content["served_from"],
        model=content["model"],
        error=content["error"],
        retry_count=content["retry_count"],
        quality=content["quality_report"],
    )
    payload = content["payload"] or {}
    if content["status"] == GenerationStatus.completed:
        records = payload.get("questions") or payload.get("cards") or []
        async with request.app.state.session_factory() as session:  # connects only if a record cites
            citations = await citations_by_chunk(session, content["user_id"], records)
        if content["type"] == StudyContentType.quiz:
            # Active recall: answers, explanations and key points stay server-side until an attempt.
            view.questions = [
                QuizQuestionView.model_validate({**q, "citations": cited(q, citations)})
                for q in payload.get("questions", [])
            ]
        else:
            view.cards = [
                FlashcardView.model_validate({**c, "citations": cited(c, citations)}) for c in payload.get("cards", [])
            ]
        if payload.get("near_hit"):
            view.near_hit = NearHitNotice.model_validate(payload["near_hit"])
    return conditional_json(request, view)


@router.get(
    "/study-content/{content_id}/anki",
    response_class=Response,
    responses={
        200: {"content": {"application/apkg": {}}, "description": "the flashcard set as an Anki deck"},
        **CONFLICT,  # not flashcards, or not generated yet
    },
)
async def export_anki_deck(
    content_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
) -> Response:
    content = await owned_study_content(session, content_id, user)
    if content.type != StudyContentType.flashcards:
        raise ApiError(409, f"study content {content_id} is a {content.type}; only flashcards export to Anki")
    if content.status != GenerationStatus.completed:
        raise ApiError(409, f"flashcards {content_id} are {content.status}; export them once completed")
    course_topic = await session.scalar(select(Course.topic).where(Course.id == content.course_id))
    cards = (content.payload or {}).get("cards", [])
    # genanki writes a SQLite file: off the event loop.
    package = await run_in_threadpool(build_apkg, content.id, f"studyflow::{course_topic}", cards)
    return Response(
        package,
        media_type="application/apkg",
        headers={"Content-Disposition": f'attachment; filename="studyflow-{content.id}.apkg"'},
    )
