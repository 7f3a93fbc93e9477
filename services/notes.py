"""A topic's notes: generated once, on the interactive queue when a learner opens the topic."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update

from db.models import Topic
from db.user_counters import record_activity_day
from services.admission import Admission
from services.errors import ServiceError
from services.llm_allowance import LlmWork
from services.outbox import StartRequest
from studyflow import search_attributes, start_inputs, workflow_ids, workflow_types
from studyflow.contracts.workflow_inputs import TopicNotesInput
from studyflow.statuses import SubjectKind, TopicStatus


@dataclass(frozen=True)
class NotesState:
    status: TopicStatus
    workflow_id: str
    notes_md: str | None = None
    notes_model: str | None = None


async def request_notes(admission: Admission, topic: Topic) -> NotesState:
    """`completed` → the notes; `generating` → as it is; `pending` or `failed` → claimed and
    started (only one request can win the claim, so concurrent requests start one generation);
    anything else → 409."""
    session, actor, settings = admission.session, admission.actor, admission.settings
    topic_id, course_id = topic.id, topic.course_id
    workflow_id = workflow_ids.topic_notes(topic_id)
    settled = await _settled(admission, topic_id, workflow_id)
    if settled is not None:
        return await _opened(admission, settled)
    await admission.allow_llm(LlmWork.notes)
    claimed = await session.scalar(
        update(Topic)
        .where(Topic.id == topic_id, Topic.status.in_((TopicStatus.pending, TopicStatus.failed)))
        # Out of the background backlog: this generation is interactive.
        .values(status=TopicStatus.generating, error=None, background_queued=False)
        .returning(Topic.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:  # another request claimed it meanwhile
        await admission.rollback()
        settled = await _settled(admission, topic_id, workflow_id)
        if settled is None:
            raise ServiceError(409, f"topic {topic_id} changed while its notes were requested; ask again")
        return await _opened(admission, settled)
    await admission.record(
        StartRequest(
            workflow_type=workflow_types.TOPIC_NOTES,
            argument=TopicNotesInput(
                topic_id=topic_id,
                retry=start_inputs.llm_retry(settings),
                background_task_queue=settings.task_queue_background,
                cpu_task_queue=settings.task_queue_cpu,
            ),
            workflow_id=workflow_id,
            task_queue=settings.task_queue_interactive,
            search_attributes=search_attributes.for_course(actor.id, course_id),
            subject_kind=SubjectKind.topic,
            subject_id=topic_id,
            # A previous run that already marked the topic failed may not have closed yet.
            terminate_existing=True,
        )
    )
    await record_activity_day(session, actor.id, admission.today)
    await admission.commit()
    return NotesState(TopicStatus.generating, workflow_id)


async def _opened(admission: Admission, state: NotesState) -> NotesState:
    """Opening a topic's notes is a day of study (streak, analytics' active days)."""
    await record_activity_day(admission.session, admission.actor.id, admission.today)
    await admission.commit()
    return state


async def _settled(admission: Admission, topic_id: uuid.UUID, workflow_id: str) -> NotesState | None:
    """The answer for a topic whose notes are done or under way; None when they can be requested."""
    current = (
        await admission.session.execute(
            select(Topic.status, Topic.notes_md, Topic.notes_model).where(Topic.id == topic_id)
        )
    ).one()
    if current.status == TopicStatus.completed:
        return NotesState(TopicStatus.completed, workflow_id, current.notes_md, current.notes_model)
    if current.status == TopicStatus.generating:
        return NotesState(TopicStatus.generating, workflow_id)
    return None
