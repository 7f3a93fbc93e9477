"""Receiving a verified Clerk delivery: a usable user, organisation or membership event is recorded
with the start of the `UserProvisioningWorkflow` that applies it, in one transaction (the outbox,
like every other start), and started after the answer; a signed event whose data is unusable is
recorded as ignored, with the reason, and never reaches a workflow."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.common import TypedSearchAttributes

from db.models import WorkflowStart
from services.outbox import StartRequest, record_start
from services.webhook_events import record_event
from studyflow import workflow_ids, workflow_types
from studyflow.contracts.provider_events import CLERK_EVENTS, ClerkEvent, clerk_event_data, reason_of
from studyflow.contracts.workflow_inputs import UserProvisioningInput
from studyflow.settings import Settings
from studyflow.statuses import SubjectKind

log = logging.getLogger("studyflow.identity")


@dataclass(frozen=True)
class ClerkReceipt:
    outcome: str  # accepted | duplicate | ignored
    starts: Sequence[WorkflowStart] = ()
    reason: str | None = None


async def receive_clerk_event(
    session: AsyncSession, settings: Settings, delivery_id: str, event: ClerkEvent, payload: dict
) -> ClerkReceipt:
    """Commits. A delivery seen before (Svix redelivers, or someone replays it) is a duplicate and
    changes nothing; the caller answers it with a 2xx, as Stripe's duplicates are."""
    if event.type not in CLERK_EVENTS:
        return ClerkReceipt("ignored", reason=f"{event.type} is not a user, organisation or membership event")
    try:
        clerk_event_data(event.type, event.data)
    except ValidationError as exc:
        reason = reason_of(exc)
        log.warning("clerk %s %s ignored: %s", event.type, delivery_id, reason)
        recorded = await record_event(
            session, "clerk", delivery_id, event.type, payload, outcome="ignored", reason=reason
        )
        await session.commit()
        return ClerkReceipt("ignored" if recorded else "duplicate", reason=reason)
    row_id = await record_event(session, "clerk", delivery_id, event.type, payload, outcome="accepted")
    if row_id is None:
        await session.rollback()
        return ClerkReceipt("duplicate")
    start = await record_start(
        session,
        StartRequest(
            workflow_type=workflow_types.USER_PROVISIONING,
            argument=UserProvisioningInput(event_row_id=row_id),
            workflow_id=workflow_ids.clerk_event(delivery_id),
            task_queue=settings.task_queue_interactive,
            search_attributes=TypedSearchAttributes.empty,
            subject_kind=SubjectKind.clerk_event,
            subject_id=row_id,
        ),
    )
    await session.commit()
    return ClerkReceipt("accepted", starts=[start])
