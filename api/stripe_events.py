"""Apply a verified Stripe event to plans and subscriptions, inside the caller's transaction
(the same one that records the event id, so an event is applied exactly once)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Payment, Subscription, User

log = logging.getLogger("studyflow.billing")

PAID_STATUSES = {"active", "trialing"}
HANDLED = {
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.payment_failed",
}


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _timestamp(value: object) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if isinstance(value, int | float) else None


async def _user_for(session: AsyncSession, obj: dict) -> uuid.UUID | None:
    metadata = obj.get("metadata") or {}
    user_id = _uuid(metadata.get("user_id")) or _uuid(obj.get("client_reference_id"))
    if user_id and await session.scalar(select(User.id).where(User.id == user_id)):
        return user_id
    customer = obj.get("customer")
    if customer:
        return await session.scalar(select(Subscription.user_id).where(Subscription.stripe_customer_id == customer))
    return None


async def _set_subscription(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    customer: str | None,
    subscription: str | None,
    status: str,
    period_end: datetime | None,
) -> None:
    values = {"stripe_customer_id": customer, "status": status}
    if subscription:
        values["stripe_subscription_id"] = subscription
    if period_end:
        values["current_period_end"] = period_end
    statement = insert(Subscription).values(user_id=user_id, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id"],
            set_={k: getattr(statement.excluded, k) for k in values if values[k] is not None},
        )
    )
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(plan="pro" if status in PAID_STATUSES else "free", subscription_status=status)
    )


async def apply_stripe_event(session: AsyncSession, event_type: str, obj: dict) -> str:
    if event_type not in HANDLED:
        return "ignored"
    user_id = await _user_for(session, obj)
    if user_id is None:
        log.warning(
            "stripe %s for an unknown user (customer %s): acknowledged, nothing changed",
            event_type,
            obj.get("customer"),
        )
        return "unknown_user"
    if event_type == "checkout.session.completed":
        if obj.get("mode") == "subscription" and obj.get("payment_status") in ("paid", "no_payment_required"):
            await _set_subscription(
                session,
                user_id,
                customer=obj.get("customer"),
                subscription=obj.get("subscription"),
                status="active",
                period_end=None,
            )
        return "applied"
    if event_type.startswith("customer.subscription."):
        status = "canceled" if event_type.endswith("deleted") else str(obj.get("status") or "incomplete")
        period_end = _timestamp(obj.get("current_period_end")) or _timestamp(
            ((obj.get("items") or {}).get("data") or [{}])[0].get("current_period_end")
        )
        await _set_subscription(
            session,
            user_id,
            customer=obj.get("customer"),
            subscription=obj.get("id"),
            status=status,
            period_end=period_end,
        )
        return "applied"
    # invoice.payment_failed
    invoice_id = obj.get("id")
    if invoice_id:
        await session.execute(
            insert(Payment)
            .values(
                user_id=user_id,
                stripe_object_id=invoice_id,
                amount_cents=obj.get("amount_due"),
                currency=obj.get("currency"),
                status="failed",
            )
            .on_conflict_do_update(index_elements=["stripe_object_id"], set_={"status": "failed"})
        )
    await session.execute(update(User).where(User.id == user_id).values(subscription_status="past_due"))
    return "applied"
