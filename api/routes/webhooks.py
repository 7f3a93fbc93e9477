"""Signed webhooks. Verification runs on the raw body before anything is parsed or written; then the
body is parsed strictly and checked against the provider's schema (studyflow/contracts/
provider_events.py). What a provider sees:

- not signed, mis-signed or stale: 401;
- signed but not an event at all (not JSON, an array, NaN, NUL, a 5 KB id, nesting 1,000 deep): 400
  naming the problem, nothing written;
- a signed event whose data we cannot use: 200 `ignored`, recorded with the reason, so the
  provider stops retrying and an operator can look;
- a delivery seen before: 200 `duplicate`, nothing changed (Stripe and Svix both redeliver)."""

from __future__ import annotations

import logging

import stripe
from fastapi import APIRouter, BackgroundTasks, Request, Response
from pydantic import TypeAdapter, ValidationError
from svix.webhooks import Webhook, WebhookVerificationError

from api.deps import SessionDep, SettingsDep
from api.errors import ApiError
from api.openapi_errors import BAD_REQUEST, UNAVAILABLE, UNSIGNED, Responses
from api.schemas.webhooks import WebhookAck
from services.billing import receive_stripe_event
from services.clerk_deliveries import receive_clerk_event
from services.workflow_starter import WorkflowStarter
from studyflow.contracts.provider_events import (
    ClerkEvent,
    MalformedPayload,
    ProviderId,
    StripeEvent,
    parse_json_strictly,
    reason_of,
)

log = logging.getLogger("studyflow.webhooks")
router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
_DELIVERY_ID = TypeAdapter(ProviderId)
ACKNOWLEDGED: Responses = {200: {"model": WebhookAck, "description": "a duplicate, or an event studyflow ignores"}}


def _parsed(body: bytes) -> object:
    try:
        return parse_json_strictly(body)
    except MalformedPayload as exc:
        raise ApiError(400, f"webhook body refused: {exc}") from None


@router.post(
    "/clerk",
    response_model=WebhookAck,
    status_code=202,
    responses={**ACKNOWLEDGED, **BAD_REQUEST, **UNSIGNED, **UNAVAILABLE},
)
async def clerk_webhook(
    request: Request, response: Response, background: BackgroundTasks, session: SessionDep, settings: SettingsDep
) -> WebhookAck:
    if settings.clerk_webhook_secret is None:
        raise ApiError(503, "Clerk webhooks are not configured (CLERK_WEBHOOK_SECRET)")
    body = await request.body()
    try:
        # Checks the signature and that the timestamp is within five minutes (replay window).
        Webhook(settings.clerk_webhook_secret.get_secret_value()).verify(body, dict(request.headers))
    except WebhookVerificationError as exc:
        raise ApiError(401, f"webhook signature rejected: {exc}") from exc
    try:
        delivery_id = _DELIVERY_ID.validate_python(request.headers["svix-id"])
    except ValidationError:
        raise ApiError(400, "svix-id is not a delivery id (at most 255 letters, digits and _.:-)") from None
    payload = _parsed(body)
    try:
        event = ClerkEvent.model_validate(payload)
    except ValidationError as exc:
        raise ApiError(400, f"not a Clerk event: {reason_of(exc)}") from None
    assert isinstance(payload, dict), "model_validate accepts only a JSON object here"
    receipt = await receive_clerk_event(session, settings, delivery_id, event, payload)
    if receipt.starts:
        starter: WorkflowStarter = request.app.state.workflow_starter
        background.add_task(starter.start, receipt.starts)
    else:
        response.status_code = 200
    return WebhookAck(received=True, outcome=receipt.outcome)


@router.post("/stripe", response_model=WebhookAck, responses={**BAD_REQUEST, **UNSIGNED, **UNAVAILABLE})
async def stripe_webhook(request: Request, session: SessionDep, settings: SettingsDep) -> WebhookAck:
    if settings.stripe_webhook_secret is None:
        raise ApiError(503, "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)")
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "webhook body refused: the body is not UTF-8 text") from None
    try:
        stripe.WebhookSignature.verify_header(
            text,
            request.headers.get("stripe-signature"),
            settings.stripe_webhook_secret.get_secret_value(),
            tolerance=settings.webhook_tolerance_seconds,
        )
    except stripe.SignatureVerificationError as exc:
        raise ApiError(401, f"webhook signature rejected: {exc.user_message or 'invalid signature'}") from exc
    payload = _parsed(body)
    try:
        event = StripeEvent.model_validate(payload)
    except ValidationError as exc:
        raise ApiError(400, f"not a Stripe event: {reason_of(exc)}") from None
    assert isinstance(payload, dict), "model_validate accepts only a JSON object here"
    # The event's record and its effect commit together: concurrent duplicates apply it once.
    outcome = await receive_stripe_event(session, event, payload)
    if outcome == "duplicate":
        await session.rollback()
    else:
        await session.commit()
    return WebhookAck(received=True, outcome=outcome)
