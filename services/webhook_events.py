"""The record of a provider's deliveries: one row per (provider, event id), so a delivery seen
before is recognised (Stripe retries, Svix redelivers, anyone may replay a signed body)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import WebhookEvent


async def record_event(
    session: AsyncSession,
    provider: str,
    event_id: str,
    event_type: str,
    payload: Any,
    *,
    outcome: str | None = None,
    reason: str | None = None,
) -> uuid.UUID | None:
    """The delivery's row, or None when this id was recorded before (a duplicate or a replay)."""
    return await session.scalar(
        insert(WebhookEvent)
        .values(
            provider=provider, event_id=event_id, event_type=event_type, payload=payload, outcome=outcome, reason=reason
        )
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(WebhookEvent.id)
    )
