"""Recording a workflow start with its row, and starting what was recorded.

The API records the start in the transaction that writes the row (`record_start`), commits, then
starts it at once (`start_recorded`) and marks it started. Should the API die between commit and
start, the reconciler's relay finds the record unstarted and starts it with the same id and the
same encoded argument; a start that did happen before the crash is recognised by its run's start
time and only marked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.api.common.v1 import Payload
from temporalio.api.common.v1 import SearchAttributes as SearchAttributesProto
from temporalio.client import Client, WorkflowHandle
from temporalio.common import RawValue, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.converter import decode_typed_search_attributes, encode_search_attributes

from db.models import WorkflowStart


async def record_start(
    session: AsyncSession,
    client: Client,
    workflow_class: type | str,
    argument: object,
    *,
    id: str,
    task_queue: str,
    search_attributes: TypedSearchAttributes,
    terminate_existing: bool = False,
) -> WorkflowStart:
    """Adds the start to the session's transaction (it commits with the caller's row).
    `workflow_class` may be given by name, for callers below the workflows layer."""
    [payload] = client.data_converter.payload_converter.to_payloads([argument])
    attributes = SearchAttributesProto()
    encode_search_attributes(search_attributes, attributes)
    record = {
        # @workflow.defn without a name registers the class name as the workflow type.
        "workflow_type": workflow_class if isinstance(workflow_class, str) else workflow_class.__name__,
        "task_queue": task_queue,
        "argument": payload.SerializeToString(),
        "search_attributes": attributes.SerializeToString(),
        "terminate_existing": terminate_existing,
    }
    statement = insert(WorkflowStart).values(workflow_id=id, **record)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[WorkflowStart.workflow_id],
            set_={**record, "created_at": statement.excluded.created_at, "started_at": None, "restarts": 0},
        )
    )
    return WorkflowStart(workflow_id=id, **record)


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
    """The caller undid the row: nothing is left for the relay to start."""
    await session.execute(delete(WorkflowStart).where(WorkflowStart.workflow_id == workflow_id))
