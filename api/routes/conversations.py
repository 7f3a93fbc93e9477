"""The tutor chat: a conversation is a long-lived ConversationWorkflow, a question is an Update.

A question answers 202 as soon as the workflow has accepted it (its validator ran); the answer
streams on GET /v1/events (kind `answer`) and is in GET /v1/conversations/{id} once complete.
`?wait=true` waits for the answer instead (200). An idle conversation's run has closed; the next
question starts it again with the same id (update-with-start)."""

from __future__ import annotations

import logging
import uuid

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import delete, select
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api.deps import CurrentUserDep, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.llm_budget import within_llm_budget
from api.openapi_errors import NOT_FOUND, RATE_LIMITED, UNAVAILABLE
from api.owned import owned_conversation, owned_course
from api.rate_limit import generation_rate_limit
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
from studyflow import search_attributes, start_inputs, workflow_ids
from studyflow.contracts.conversation_io import AskInput, ConversationInput
from studyflow.settings import Settings
from studyflow.statuses import ConversationStatus, ErrorKind
from workflows.conversation import ConversationWorkflow

log = logging.getLogger("studyflow.api.conversations")
router = APIRouter(prefix="/v1/conversations", tags=["tutor chat"])


def _workflow_input(conversation_id: uuid.UUID, settings: Settings) -> ConversationInput:
    return ConversationInput(
        conversation_id=conversation_id,
        idle_timeout_seconds=settings.conversation_idle_minutes * 60,
        questions_per_run=settings.conversation_questions_per_run,
        retry=start_inputs.llm_retry(settings),
    )


def _start_operation(conversation: Conversation, settings: Settings) -> WithStartWorkflowOperation:
    return WithStartWorkflowOperation(
        ConversationWorkflow.run,
        _workflow_input(conversation.id, settings),
        id=conversation.workflow_id,
        task_queue=settings.task_queue_interactive,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=search_attributes.for_user(conversation.owner_id),
    )


@router.post("", status_code=201, response_model=ConversationView, responses={**NOT_FOUND, **UNAVAILABLE})
async def start_conversation(
    body: ConversationCreate,
    user: CurrentUserDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> ConversationView:
    title = body.title
    if body.course_id is not None:
        course = await owned_course(session, body.course_id, user)
        title = title or f"About {course.topic}"
    conversation_id = uuid.uuid4()
    conversation = Conversation(
        id=conversation_id,
        owner_id=user.id,
        course_id=body.course_id,
        title=title or "Questions about my material",
        workflow_id=workflow_ids.conversation(conversation_id),
    )
    session.add(conversation)
    await session.commit()
    try:
        await temporal.start_workflow(
            ConversationWorkflow.run,
            _workflow_input(conversation_id, settings),
            id=conversation.workflow_id,
            task_queue=settings.task_queue_interactive,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=search_attributes.for_user(user.id),
        )
    except Exception as exc:
        log.error("could not start %s: %s", conversation.workflow_id, exc)
        await session.execute(delete(Conversation).where(Conversation.id == conversation_id))
        await session.commit()
        raise ApiError(503, "workflow service unavailable, the conversation was not started") from exc
    await session.refresh(conversation)
    return _view(conversation, [])


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
    conversation = await owned_conversation(session, conversation_id, user)
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
    dependencies=[Depends(generation_rate_limit), Depends(within_llm_budget)],
    responses={
        200: {"model": TutorReplyView, "description": "the answer (with ?wait=true)"},
        202: {"model": QuestionAccepted, "description": "accepted; the answer streams on /v1/events"},
        **RATE_LIMITED,
        **UNAVAILABLE,
    },
)
async def ask(
    conversation_id: uuid.UUID,
    body: QuestionCreate,
    response: Response,
    user: CurrentUserDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    wait: bool = Query(False, description="wait for the answer instead of streaming it"),
) -> TutorReplyView | QuestionAccepted:
    conversation = await owned_conversation(session, conversation_id, user)
    if conversation.status != ConversationStatus.open:
        conversation.status = ConversationStatus.open
        await session.commit()
    request_id = body.request_id or uuid.uuid4().hex
    question = AskInput(request_id=request_id, question=body.question)
    operation = _start_operation(conversation, settings)
    try:
        if wait:
            reply = await temporal.execute_update_with_start_workflow(
                ConversationWorkflow.ask, question, start_workflow_operation=operation, id=request_id
            )
            response.status_code = 200
            return TutorReplyView.model_validate(reply.model_dump())
        await temporal.start_update_with_start_workflow(
            ConversationWorkflow.ask,
            question,
            start_workflow_operation=operation,
            id=request_id,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == ErrorKind.invalid_question:
            raise ApiError(422, f"question: {cause.message}") from None
        log.warning("tutor could not answer %s: %s", request_id, cause)
        raise ApiError(503, "the tutor could not answer right now; ask again in a moment") from exc
    except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        log.error("ask %s: %s", conversation.workflow_id, exc)
        raise ApiError(503, "workflow service unavailable, the question was not sent") from exc
    return QuestionAccepted(
        request_id=request_id, status="answering", conversation_url=f"/v1/conversations/{conversation.id}"
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
