"""The tutor chat: a conversation is a row; its ConversationWorkflow starts with the first question
(update-with-start, same id), so a conversation nobody asks anything costs no workflow at all. A
question is a Workflow Update answered once per request id."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from db.models import Conversation, ConversationMessage, Course
from services.admission import Admission
from services.errors import ServiceError
from services.llm_allowance import LlmWork
from studyflow import search_attributes, start_inputs, workflow_ids, workflow_types
from studyflow.contracts.conversation_io import AskInput, ConversationInput, TutorReply
from studyflow.settings import Settings
from studyflow.statuses import ConversationStatus, ErrorKind

log = logging.getLogger("studyflow.conversations")


async def start_conversation(admission: Admission, course: Course | None, title: str | None) -> Conversation:
    await admission.allow_llm(LlmWork.conversation)
    conversation_id = uuid.uuid4()
    conversation = Conversation(
        id=conversation_id,
        owner_id=admission.actor.id,
        course_id=course.id if course else None,
        title=title or (f"About {course.topic}" if course else "Questions about my material"),
        workflow_id=workflow_ids.conversation(conversation_id),
    )
    admission.session.add(conversation)
    await admission.commit()
    await admission.session.refresh(conversation)
    return conversation


@dataclass(frozen=True)
class Asked:
    request_id: str
    reply: TutorReply | None  # with `wait`


async def ask(
    admission: Admission,
    temporal: Client,
    conversation: Conversation,
    question: str,
    request_id: str | None,
    *,
    wait: bool,
) -> Asked:
    """The database work ends (and its connection goes back to the pool) before the question is
    sent: a learner waiting for an answer holds no connection."""
    session, settings = admission.session, admission.settings
    request_id = request_id or uuid.uuid4().hex
    earlier = await session.scalar(
        select(ConversationMessage.text).where(
            ConversationMessage.conversation_id == conversation.id,
            ConversationMessage.request_id == request_id,
            ConversationMessage.role == "learner",
        )
    )
    if earlier is not None and earlier != question:
        raise ServiceError(409, f"request_id {request_id} was already used for another question")
    await admission.allow_llm(LlmWork.question)
    if conversation.status != ConversationStatus.open:
        conversation.status = ConversationStatus.open
    await admission.commit()
    admission.done_with_database()
    operation = _start_operation(conversation, settings)
    argument = AskInput(request_id=request_id, question=question)
    try:
        if wait:
            reply = await temporal.execute_update_with_start_workflow(
                workflow_types.CONVERSATION_ASK_UPDATE,
                argument,
                start_workflow_operation=operation,
                id=request_id,
                result_type=TutorReply,
            )
            return Asked(request_id, reply)
        await temporal.start_update_with_start_workflow(
            workflow_types.CONVERSATION_ASK_UPDATE,
            argument,
            start_workflow_operation=operation,
            id=request_id,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == ErrorKind.invalid_question:
            raise ServiceError(422, f"question: {cause.message}") from None
        log.warning("tutor could not answer %s: %s", request_id, cause)
        raise ServiceError(503, "the tutor could not answer right now; ask again in a moment") from exc
    except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        log.error("ask %s: %s", conversation.workflow_id, exc)
        raise ServiceError(503, "workflow service unavailable, the question was not sent") from exc
    return Asked(request_id, None)


def _start_operation(conversation: Conversation, settings: Settings) -> WithStartWorkflowOperation:
    return WithStartWorkflowOperation(
        workflow_types.CONVERSATION,
        ConversationInput(
            conversation_id=conversation.id,
            idle_timeout_seconds=settings.conversation_idle_minutes * 60,
            questions_per_run=settings.conversation_questions_per_run,
            retry=start_inputs.llm_retry(settings),
        ),
        id=conversation.workflow_id,
        task_queue=settings.task_queue_interactive,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=search_attributes.for_user(conversation.owner_id),
    )
