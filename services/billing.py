"""Applying a verified Stripe event to plans and subscriptions, in the transaction that records its
id (so an event is applied once, however often it is delivered).

Stripe does not deliver in order, and retries: a `customer.subscription.updated` (active) sent
before a `deleted` may arrive after it. A subscription therefore keeps the time of the event its
state came from (`state_event_at`, with a rank for events of the same second: created < updated
< checkout < payment failed < deleted), and an event older than that changes nothing
(outcome `stale`). A deleted subscription stays deleted: its id never becomes active again."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import DateTime, SmallInteger, and_, bindparam, exists, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Payment, Subscription, User, WebhookEvent
from services.webhook_events import record_event
from studyflow.contracts.provider_events import (
    STRIPE_OBJECTS,
    StripeCheckoutSession,
    StripeEvent,
    StripeInvoice,
    StripeSubscription,
    reason_of,
    timestamp,
)

log = logging.getLogger("studyflow.billing")

PAID_STATUSES = {"active", "trialing"}
# Events of the same second: the later a kind comes in a subscription's life, the higher it ranks.
RANK = {
    "customer.subscription.created": 1,
    "customer.subscription.updated": 2,
    "checkout.session.completed": 3,
    "invoice.payment_failed": 4,
    "customer.subscription.deleted": 5,
}
RANK_DELETED = RANK["customer.subscription.deleted"]


async def receive_stripe_event(session: AsyncSession, event: StripeEvent, payload: dict) -> str:
    """Records the event and applies it, in the caller's transaction (the caller commits).
    Returns the outcome: applied, duplicate, ignored, unknown_user or stale."""
    row_id = await record_event(session, "stripe", event.id, event.type, payload)
    if row_id is None:
        return "duplicate"
    outcome, reason = await _apply(session, event)
    await session.execute(update(WebhookEvent).where(WebhookEvent.id == row_id).values(outcome=outcome, reason=reason))
    return outcome


async def _apply(session: AsyncSession, event: StripeEvent) -> tuple[str, str | None]:
    model = STRIPE_OBJECTS.get(event.type)
    if model is None:
        return "ignored", "not an event type studyflow acts on"
    try:
        obj = model.model_validate(event.data.object)
    except ValidationError as exc:
        # Signed by Stripe but unusable: acknowledged (Stripe stops retrying) and kept for a look.
        reason = reason_of(exc)
        log.warning("stripe %s %s ignored: %s", event.type, event.id, reason)
        return "ignored", reason
    user_id = await _user_for(session, obj)
    if user_id is None:
        log.warning("stripe %s for an unknown user (customer %s): nothing changed", event.type, obj.customer)
        return "unknown_user", f"no learner for customer {obj.customer}"
    at, rank = timestamp(event.created), RANK[event.type]
    if isinstance(obj, StripeCheckoutSession):
        if obj.mode != "subscription" or obj.payment_status not in ("paid", "no_payment_required"):
            return "ignored", f"checkout {obj.mode}/{obj.payment_status} grants no plan"
        applied = await _set_subscription(
            session, user_id, at, rank, customer=obj.customer, subscription=obj.subscription, status="active"
        )
    elif isinstance(obj, StripeSubscription):
        deleted = event.type == "customer.subscription.deleted"
        applied = await _set_subscription(
            session,
            user_id,
            at,
            rank,
            customer=obj.customer,
            subscription=obj.id,
            status="canceled" if deleted else obj.status,
            period_end=obj.period_end,
            deletes=deleted,
        )
    else:
        applied = await _payment_failed(session, user_id, at, rank, obj)
    return ("applied", None) if applied else ("stale", "an event newer than this one set the subscription")


async def _user_for(session: AsyncSession, obj: StripeSubscription | StripeCheckoutSession | StripeInvoice):
    reference = getattr(obj, "client_reference_id", None)
    for candidate in (obj.metadata.get("user_id"), reference):
        user_id = _uuid(candidate)
        if user_id and await session.scalar(select(User.id).where(User.id == user_id)):
            return user_id
    if obj.customer:
        return await session.scalar(select(Subscription.user_id).where(Subscription.stripe_customer_id == obj.customer))
    return None


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _event_time(at: datetime, rank: int):
    return tuple_(bindparam(None, at, type_=DateTime(timezone=True)), bindparam(None, rank, type_=SmallInteger))


def _newer_than_stored(at: datetime, rank: int):
    """The stored state is not newer than (at, rank); a row without an event time predates ordering."""
    return or_(
        Subscription.state_event_at.is_(None),
        tuple_(Subscription.state_event_at, Subscription.state_event_rank) <= _event_time(at, rank),
    )


async def _set_subscription(
    session: AsyncSession,
    user_id: uuid.UUID,
    at: datetime,
    rank: int,
    *,
    customer: str | None,
    subscription: str | None,
    status: str,
    period_end: datetime | None = None,
    deletes: bool = False,
) -> bool:
    """Upserts the learner's subscription unless a newer event set it; then the plan follows. The
    row lock taken by the upsert orders concurrent events for one learner."""
    values: dict[str, Any] = {"status": status, "state_event_at": at, "state_event_rank": rank}
    if customer:
        values["stripe_customer_id"] = customer
    if subscription:
        values["stripe_subscription_id"] = subscription
    if period_end:
        values["current_period_end"] = period_end
    statement = insert(Subscription).values(user_id=user_id, **values)
    guard = _newer_than_stored(at, rank)
    if subscription:
        same = Subscription.stripe_subscription_id == subscription
        # A subscription deleted stays deleted; and the deletion of one that is not the learner's
        # current subscription (they subscribed again since) leaves the current one alone.
        guard = and_(
            guard,
            or_(
                Subscription.stripe_subscription_id.is_distinct_from(subscription),
                Subscription.state_event_rank != RANK_DELETED,
            ),
        )
        if deletes:
            guard = and_(guard, or_(Subscription.stripe_subscription_id.is_(None), same))
    applied = await session.scalar(
        statement.on_conflict_do_update(
            index_elements=["user_id"], set_={k: getattr(statement.excluded, k) for k in values}, where=guard
        ).returning(Subscription.id)
    )
    if applied is None:
        return False
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(plan="pro" if status in PAID_STATUSES else "free", subscription_status=status)
    )
    return True


async def _payment_failed(session: AsyncSession, user_id: uuid.UUID, at: datetime, rank: int, obj: StripeInvoice):
    await session.execute(
        insert(Payment)
        .values(
            user_id=user_id,
            stripe_object_id=obj.id,
            amount_cents=obj.amount_due,
            currency=obj.currency,
            status="failed",
        )
        .on_conflict_do_update(index_elements=["stripe_object_id"], set_={"status": "failed"})
    )
    # The payment is recorded whatever its age; the status only if nothing newer set the state.
    newer = exists().where(
        Subscription.user_id == user_id,
        Subscription.state_event_at.is_not(None),
        tuple_(Subscription.state_event_at, Subscription.state_event_rank) > _event_time(at, rank),
    )
    changed = await session.scalar(
        update(User).where(User.id == user_id, ~newer).values(subscription_status="past_due").returning(User.id)
    )
    return changed is not None
