"""Recording a workflow start with its row, and starting what was recorded.

A service records the start in the transaction that writes the row (`record_start`); after the
commit the start is made off the request path (services/workflow_starter.py) and the record
marked. Should that start fail, or the process die first, the reconciler's relay starts it from
the record (same deterministic id, same encoded argument); a start that did happen is recognised
by its run's start time and only marked. A record the relay cannot start after
`OUTBOX_RELAY_MAX_FAILURES` tries is undone the one way its subject is undone (services/undo.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import delete, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.api.common.v1 import Payload
from temporalio.api.common.v1 import SearchAttributes as SearchAttributesProto
from temporalio.client import Client, WorkflowHandle
from temporalio.common import RawValue, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import decode_typed_search_attributes, encode_search_attributes

from db.models import WorkflowStart
from studyflow.statuses import SubjectKind


@dataclass(frozen=True)
class StartRequest:
    """A workflow to start for a subject once the transaction that admitted it commits."""

    workflow_type: str  # studyflow.workflow_types
    argument: BaseModel
    workflow_id: str
    task_queue: str
    search_attributes: TypedSearchAttributes
    subject_kind: SubjectKind
    subject_id: uuid.UUID
    # A new request for work whose previous run already gave up may replace that run.
    terminate_existing: bool = False


async def record_start(session: AsyncSession, request: StartRequest) -> WorkflowStart:
    """Adds the start to the session's transaction (it commits with the caller's row)."""
    # Every client of ours is built with this converter (studyflow/temporal_client.py), so the
    # bytes are what the client itself would send.
    [payload] = pydantic_data_converter.payload_converter.to_payloads([request.argument])
    attributes = SearchAttributesProto()
    encode_search_attributes(request.search_attributes, attributes)
    record = {
        "workflow_type": request.workflow_type,
        "task_queue": request.task_queue,
        "argument": payload.SerializeToString(),
        "search_attributes": attributes.SerializeToString(),
        "terminate_existing": request.terminate_existing,
        "subject_kind": request.subject_kind.value,
        "subject_id": request.subject_id,
    }
    statement = insert(WorkflowStart).values(workflow_id=request.workflow_id, **record)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[WorkflowStart.workflow_id],
            set_={
                **record,
                "created_at": statement.excluded.created_at,
                "started_at": None,
                "restarts": 0,
                "relay_failures": 0,
                "last_error": None,
            },
        )
    )
    return WorkflowStart(workflow_id=request.workflow_id, **record)


async def start_recorded(
    client: Client, record: WorkflowStart, *, terminate_existing: bool | None = None
) -> WorkflowHandle:
    """Starts exactly what was recorded. An execution already running under the id is kept unless
    the record asks to replace it (a new request for work whose previous run already gave up)."""
    payload = Payload()
    payload.ParseFromString(record.argument)
    attributes = SearchAttributesProto()
    attributes.ParseFromString(record.search_attributes)
    replace = record.terminate_existing if terminate_existing is None else terminate_existing
    return await client.start_workflow(
        record.workflow_type,
        RawValue(payload),
        id=record.workflow_id,
        task_queue=record.task_queue,
        search_attributes=decode_typed_search_attributes(attributes),
        id_conflict_policy=(
            WorkflowIDConflictPolicy.TERMINATE_EXISTING if replace else WorkflowIDConflictPolicy.USE_EXISTING
        ),
    )


async def mark_started(session: AsyncSession, workflow_id: str, recorded_at: datetime | None = None) -> None:
    statement = update(WorkflowStart).where(
        WorkflowStart.workflow_id == workflow_id, WorkflowStart.started_at.is_(None)
    )
    if recorded_at is not None:
        statement = statement.where(WorkflowStart.created_at == recorded_at)
    await session.execute(statement.values(started_at=func.now()))


async def discard_start(session: AsyncSession, workflow_id: str) -> None:
    """The subject was undone: nothing is left for the relay to start."""
    await session.execute(delete(WorkflowStart).where(WorkflowStart.workflow_id == workflow_id))
