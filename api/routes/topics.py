from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select, update

from api.conditional import NOT_MODIFIED, conditional_json
from api.deps import CurrentUserDep, PrincipalDep, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.learner_read import read_as_learner
from api.llm_budget import within_llm_budget
from api.openapi_errors import CONFLICT, NOT_FOUND, RATE_LIMITED, UNAVAILABLE
from api.owned import owned_topic
from api.rate_limit import generation_rate_limit
from api.schemas.topics import NotesState, TopicDetail
from api.workflow_launch import WorkflowNotStarted, launch
from db.models import Topic
from db.polled_reads import TOPIC
from studyflow import search_attributes, start_inputs, workflow_ids
from studyflow.contracts.workflow_inputs import TopicNotesInput
from studyflow.workflow_outbox import discard_start, record_start
from workflows.topic_notes import TopicNotesWorkflow

router = APIRouter(prefix="/v1/topics", tags=["topics"])


@router.get("/{topic_id}", response_model=TopicDetail, responses={**NOT_FOUND, **NOT_MODIFIED})
async def get_topic(topic_id: uuid.UUID, request: Request, principal: PrincipalDep) -> Response:
    row = await read_as_learner(request, principal, TOPIC, topic_id=topic_id)
    if row["id"] is None:
        raise ApiError(404, f"topic {topic_id} not found")
    return conditional_json(request, TopicDetail.model_validate(dict(row)))


@router.post(
    "/{topic_id}/notes",
    response_model=NotesState,
    dependencies=[Depends(generation_rate_limit), Depends(within_llm_budget)],
    responses={
        200: {"description": "notes ready"},
        202: {"description": "generation under way"},
        **CONFLICT,
        **RATE_LIMITED,
        **UNAVAILABLE,
    },
)
async def request_notes(
    topic_id: uuid.UUID,
    response: Response,
    user: CurrentUserDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> NotesState:
    topic = await owned_topic(session, topic_id, user)
    workflow_id = workflow_ids.topic_notes(topic.id)
    status_url = f"/v1/topics/{topic.id}"
    # Only one request can win this transition, so concurrent requests start one generation.
    previous, was_queued = topic.status, topic.background_queued
    claimed = await session.scalar(
        update(Topic)
        .where(Topic.id == topic.id, Topic.status.in_(("pending", "failed")))
        # Out of the background backlog: this generation is interactive.
        .values(status="generating", error=None, background_queued=False)
        .returning(Topic.id)
        .execution_options(synchronize_session=False)
    )
    record = None
    if claimed is not None:
        record = await record_start(
            session,
            temporal,
            TopicNotesWorkflow,
            TopicNotesInput(
                topic_id=topic.id,
                retry=start_inputs.llm_retry(settings),
                background_task_queue=settings.task_queue_background,
                cpu_task_queue=settings.task_queue_cpu,
            ),
            id=workflow_id,
            task_queue=settings.task_queue_interactive,
            # A previous run that already marked the topic failed may not have closed yet.
            terminate_existing=True,
            search_attributes=search_attributes.for_course(user.id, topic.course_id),
        )
    await session.commit()
    if record is not None:
        try:
            await launch(session, temporal, settings, record)
        except WorkflowNotStarted as exc:
            await session.execute(
                update(Topic)
                .where(Topic.id == topic.id, Topic.status == "generating")
                # Back where it was, backlog included: the background run still owes these notes.
                .values(status=previous, background_queued=was_queued)
            )
            await discard_start(session, workflow_id)
            await session.commit()
            raise ApiError(503, "workflow service unavailable, notes were not requested") from exc
        response.status_code = 202
        return NotesState(topic_id=topic.id, status="generating", workflow_id=workflow_id, status_url=status_url)

    current = (
        await session.execute(select(Topic.status, Topic.notes_md, Topic.notes_model).where(Topic.id == topic.id))
    ).one()
    if current.status == "completed":
        response.status_code = 200
        return NotesState(
            topic_id=topic.id,
            status="completed",
            status_url=status_url,
            notes_md=current.notes_md,
            notes_model=current.notes_model,
        )
    if current.status == "generating":
        response.status_code = 202
        return NotesState(topic_id=topic.id, status="generating", workflow_id=workflow_id, status_url=status_url)
    raise ApiError(409, f"topic {topic.id} is {current.status}; notes cannot be requested now")
