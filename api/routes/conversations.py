"""The tutor chat: a conversation is a long-lived ConversationWorkflow, a question is an Update.

A question answers 202 as soon as the workflow has accepted it (its validator ran); the answer
streams on GET /v1/events (kind `answer`) and is in GET /v1/conversations/{id} once complete.
`?wait=true` waits for the answer instead (200): the one route that waits on an LLM, holding no
database connection while it does. The workflow starts with the first question and an idle one's
run closes; the next question starts it again with the same id (update-with-start)."""

from __future__ import annotations

import logging
import uuid

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from api.deps import AdmissionDep, CurrentUserDep, SessionDep, TemporalDep
from api.openapi_errors import CONFLICT, NOT_FOUND, RATE_LIMITED, UNAVAILABLE
from api.schemas.conversations import (
    ConversationCreate,
    ConversationList,
    ConversationSummary,
    ConversationView,
    MessageView,
    QuestionAccepted,
    QuestionCreate,
    TutorReplyView,
)
from db.models import Conversation, ConversationMessage
from services import conversations
from services.owned import owned_conversation, owned_course
from services.policy import Action

log = logging.getLogger("studyflow.api.conversations")
router = APIRouter(prefix="/v1/conversations", tags=["tutor chat"])


@router.post("", status_code=201, response_model=ConversationView, responses={**NOT_FOUND, **RATE_LIMITED})
async def start_conversation(body: ConversationCreate, admission: AdmissionDep) -> ConversationView:
    course = await owned_course(admission.session, body.course_id, admission.actor) if body.course_id else None
    return _view(await conversations.start_conversation(admission, course, body.title), [])


@router.get("", response_model=ConversationList)
async def list_conversations(user: CurrentUserDep, session: SessionDep) -> ConversationList:
    rows = await session.scalars(
        select(Conversation).where(Conversation.owner_id == user.id).order_by(Conversation.created_at.desc()).limit(100)
    )
    return ConversationList(
        items=[
            ConversationSummary(id=c.id, course_id=c.course_id, title=c.title, status=c.status, created_at=c.created_at)
            for c in rows
        ]
    )


@router.get("/{conversation_id}", response_model=ConversationView)
async def get_conversation(conversation_id: uuid.UUID, user: CurrentUserDep, session: SessionDep) -> ConversationView:
    conversation = await owned_conversation(session, conversation_id, user, Action.read)
    messages = await session.scalars(
        select(ConversationMessage)
        .where(ConversationMessage.conversation_id == conversation.id)
        .order_by(ConversationMessage.position)
    )
    return _view(conversation, list(messages))


@router.post(
    "/{conversation_id}/messages",
    status_code=202,
    response_model=TutorReplyView | QuestionAccepted,
    responses={
        200: {"model": TutorReplyView, "description": "the answer (with ?wait=true)"},
        202: {"model": QuestionAccepted, "description": "accepted; the answer streams on /v1/events"},
        **CONFLICT,  # the request_id was used for another question
        **RATE_LIMITED,
        **UNAVAILABLE,
    },
)
async def ask(
    conversation_id: uuid.UUID,
    body: QuestionCreate,
    response: Response,
    admission: AdmissionDep,
    temporal: TemporalDep,
    wait: bool = Query(False, description="wait for the answer instead of streaming it"),
) -> TutorReplyView | QuestionAccepted:
    conversation = await owned_conversation(admission.session, conversation_id, admission.actor)
    asked = await conversations.ask(admission, temporal, conversation, body.question, body.request_id, wait=wait)
    if asked.reply is not None:
        response.status_code = 200
        return TutorReplyView.model_validate(asked.reply.model_dump())
    return QuestionAccepted(
        request_id=asked.request_id, status="answering", conversation_url=f"/v1/conversations/{conversation_id}"
    )


def _view(conversation: Conversation, messages: list[ConversationMessage]) -> ConversationView:
    return ConversationView(
        id=conversation.id,
        course_id=conversation.course_id,
        title=conversation.title,
        status=conversation.status,
        workflow_id=conversation.workflow_id,
        created_at=conversation.created_at,
        messages=[
            MessageView(
                id=m.id,
                request_id=m.request_id,
                role=m.role,
                text=m.text,
                citations=m.citations or [],
                confidence=m.confidence,
                answerable=m.answerable,
                suggest_tutor=m.suggest_tutor,
                tutor_reason=m.tutor_reason,
                handoff_id=m.handoff_id,
                created_at=m.created_at,
            )
            for m in messages
        ],
    )
