from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from api.conditional import NOT_MODIFIED, conditional_json
from api.deps import AdmissionDep, PrincipalDep
from api.learner_read import read_as_learner
from api.openapi_errors import CONFLICT, NOT_FOUND, RATE_LIMITED
from api.schemas.topics import NotesState, TopicDetail
from db.polled_reads import TOPIC
from services import notes
from services.owned import owned_course, owned_topic
from services.policy import Action
from studyflow.statuses import TopicStatus

router = APIRouter(prefix="/v1/topics", tags=["topics"])


@router.get("/{topic_id}", response_model=TopicDetail, responses={**NOT_FOUND, **NOT_MODIFIED})
async def get_topic(topic_id: uuid.UUID, request: Request, principal: PrincipalDep) -> Response:
    row = await read_as_learner(
        request,
        principal,
        TOPIC,
        what=f"topic {topic_id}",
        owner_of=lambda session, actor: _topic_owner(session, actor, topic_id),
        topic_id=topic_id,
    )
    return conditional_json(request, TopicDetail.model_validate(dict(row)))


@router.post(
    "/{topic_id}/notes",
    response_model=NotesState,
    responses={
        200: {"description": "notes ready"},
        202: {"description": "generation under way"},
        **CONFLICT,
        **RATE_LIMITED,
    },
)
async def request_notes(topic_id: uuid.UUID, response: Response, admission: AdmissionDep) -> NotesState:
    topic = await owned_topic(admission.session, topic_id, admission.actor, Action.study)
    state = await notes.request_notes(admission, topic)
    response.status_code = 200 if state.status == TopicStatus.completed else 202
    return NotesState(
        topic_id=topic_id,
        status=state.status,
        workflow_id=None if state.status == TopicStatus.completed else state.workflow_id,
        status_url=f"/v1/topics/{topic_id}",
        notes_md=state.notes_md,
        notes_model=state.notes_model,
    )


async def _topic_owner(session, actor, topic_id: uuid.UUID) -> uuid.UUID:
    topic = await owned_topic(session, topic_id, actor, Action.read)
    return (await owned_course(session, topic.course_id, actor, Action.read)).owner_id
