from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from api.anki_deck import build_apkg
from api.citations import citations_by_chunk, cited
from api.conditional import NOT_MODIFIED, conditional_json
from api.deps import AdmissionDep, CurrentUserDep, PrincipalDep, SessionDep
from api.errors import ApiError
from api.learner_read import read_as_learner
from api.openapi_errors import BAD_REQUEST, CONFLICT, NOT_FOUND, RATE_LIMITED
from api.schemas.study_content import (
    FlashcardView,
    NearHitNotice,
    QuizQuestionView,
    StudyContentAccepted,
    StudyContentCreate,
    StudyContentType,
    StudyContentView,
)
from db.models import Course
from db.polled_reads import STUDY_CONTENT
from services import study_content
from services.owned import owned_course, owned_study_content
from services.policy import Action
from studyflow.statuses import GenerationStatus

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
    },
)
async def request_study_content(
    course_id: uuid.UUID,
    body: StudyContentCreate,
    response: Response,
    admission: AdmissionDep,
) -> StudyContentAccepted:
    try:
        kind = StudyContentType(body.type.strip().lower())
    except ValueError:
        choices = ", ".join(t.value for t in StudyContentType)
        raise ApiError(400, f"type must be one of {choices} (got {body.type!r})") from None
    course = await owned_course(admission.session, course_id, admission.actor, Action.study)
    admitted = await study_content.request_study_content(admission, course, kind.value)
    response.status_code = 200 if admitted.status == GenerationStatus.completed else 202
    return StudyContentAccepted(
        id=admitted.content_id,
        type=kind,
        status=admitted.status,
        workflow_id=admitted.workflow_id,
        status_url=f"/v1/study-content/{admitted.content_id}",
    )


@router.get("/study-content/{content_id}", response_model=StudyContentView, responses={**NOT_FOUND, **NOT_MODIFIED})
async def get_study_content(content_id: uuid.UUID, request: Request, principal: PrincipalDep) -> Response:
    content = await read_as_learner(
        request,
        principal,
        STUDY_CONTENT,
        what=f"study content {content_id}",
        owner_of=lambda session, actor: _content_owner(session, actor, content_id),
        content_id=content_id,
    )
    view = StudyContentView(
        id=content["id"],
        course_id=content["course_id"],
        type=content["type"],
        status=content["status"],
        served_from=content["served_from"],
        model=content["model"],
        error=content["error"],
        retry_count=content["retry_count"],
        updated_at=content["updated_at"],
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
    content = await owned_study_content(session, content_id, user, action=Action.read)
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


async def _content_owner(session, actor, content_id: uuid.UUID) -> uuid.UUID:
    content = await owned_study_content(session, content_id, actor, action=Action.read)
    return (await owned_course(session, content.course_id, actor, Action.read)).owner_id
