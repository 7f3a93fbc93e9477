"""Signed webhooks. Verification runs on the raw body before anything is parsed or written."""

from __future__ import annotations

import json
import logging

import stripe
from fastapi import APIRouter, Request
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from svix.webhooks import Webhook, WebhookVerificationError

from api.deps import SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.openapi_errors import BAD_REQUEST, UNAVAILABLE, UNSIGNED
from api.schemas.webhooks import WebhookAck
from api.stripe_events import apply_stripe_event
from db.models import WebhookEvent
from studyflow import workflow_ids, workflow_types
from studyflow.contracts.workflow_inputs import UserProvisioningInput

log = logging.getLogger("studyflow.webhooks")
router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
CLERK_USER_EVENTS = {"user.created", "user.updated", "user.deleted"}


async def _record(session: AsyncSession, provider: str, event_id: str, event_type: str, payload: dict):
    return await session.scalar(
        insert(WebhookEvent)
        .values(provider=provider, event_id=event_id, event_type=event_type, payload=payload)
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(WebhookEvent.id)
    )


@router.post("/clerk", response_model=WebhookAck, status_code=202, responses={**BAD_REQUEST, **UNSIGNED, **UNAVAILABLE})
async def clerk_webhook(
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> WebhookAck:
    if settings.clerk_webhook_secret is None:
        raise ApiError(503, "Clerk webhooks are not configured (CLERK_WEBHOOK_SECRET)")
    body = await request.body()
    try:
        # Checks the signature and that the timestamp is within five minutes (replay window).
        Webhook(settings.clerk_webhook_secret.get_secret_value()).verify(body, dict(request.headers))
    except WebhookVerificationError as exc:
        raise ApiError(401, f"webhook signature rejected: {exc}") from exc
    event = json.loads(body)
    delivery_id = request.headers["svix-id"]
    event_type = str(event.get("type", ""))
    if event_type not in CLERK_USER_EVENTS:
        return WebhookAck(received=True, outcome="ignored")
    row_id = await _record(session, "clerk", delivery_id, event_type, event)
    if row_id is None:
        raise ApiError(400, f"delivery {delivery_id} was already received (replay)", code="replayed")
    await session.commit()
    try:
        await temporal.start_workflow(
            workflow_types.USER_PROVISIONING,
            UserProvisioningInput(event_row_id=row_id),
            id=workflow_ids.clerk_event(delivery_id),
            task_queue=settings.task_queue_interactive,
        )
    except Exception as exc:
        # Forget the delivery so Clerk's retry is processed instead of rejected as a replay.
        await session.execute(delete(WebhookEvent).where(WebhookEvent.id == row_id))
        await session.commit()
        raise ApiError(503, "workflow service unavailable, retry the delivery") from exc
    return WebhookAck(received=True, outcome="accepted")


@router.post("/stripe", response_model=WebhookAck, responses={**BAD_REQUEST, **UNSIGNED, **UNAVAILABLE})
async def stripe_webhook(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> WebhookAck:
    if settings.stripe_webhook_secret is None:
        raise ApiError(503, "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)")
    body = await request.body()
    try:
        stripe.Webhook.construct_event(
            body,
            request.headers.get("stripe-signature"),
            settings.stripe_webhook_secret.get_secret_value(),
            tolerance=settings.webhook_tolerance_seconds,
        )
    except stripe.SignatureVerificationError as exc:
        raise ApiError(401, f"webhook signature rejected: {exc.user_message or 'invalid signature'}") from exc
    except ValueError as exc:
        raise ApiError(400, "webhook body is not a Stripe event") from exc
    payload = json.loads(body)  # verified above; plain dicts are easier to null-check than StripeObjects
    event_id, event_type = payload.get("id"), payload.get("type")
    if not event_id or not event_type:
        raise ApiError(400, "webhook event has no id or type")
    obj = (payload.get("data") or {}).get("object") or {}
    # Event record and its effect commit together: concurrent duplicates apply it once.
    if await _record(session, "stripe", event_id, event_type, payload) is None:
        await session.rollback()
        return WebhookAck(received=True, outcome="duplicate")
    outcome = await apply_stripe_event(session, event_type, obj)
    await session.commit()
    return WebhookAck(received=True, outcome=outcome)
