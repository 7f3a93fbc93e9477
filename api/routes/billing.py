from __future__ import annotations

import logging

import stripe
from fastapi import APIRouter
from pydantic import SecretStr

from api.deps import CurrentUserDep, SettingsDep
from api.errors import ApiError
from api.openapi_errors import CONFLICT, UNAVAILABLE
from api.schemas.billing import CheckoutSession

log = logging.getLogger("studyflow.billing")
router = APIRouter(prefix="/v1/billing", tags=["billing"])


def stripe_client(api_key: SecretStr, api_base: str | None) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key.get_secret_value(),
        base_addresses={"api": api_base} if api_base else None,
        http_client=stripe.HTTPXClient(),
        max_network_retries=1,
    )


@router.post("/checkout", response_model=CheckoutSession, responses={**CONFLICT, **UNAVAILABLE})
async def create_checkout(user: CurrentUserDep, settings: SettingsDep) -> CheckoutSession:
    """A Stripe Checkout page for the pro plan; the webhook, not this call, changes the plan."""
    if settings.stripe_api_key is None or not settings.stripe_price_id_pro:
        raise ApiError(503, "billing is not configured (STRIPE_API_KEY, STRIPE_PRICE_ID_PRO)")
    if user.plan == "pro":
        raise ApiError(409, "already on the pro plan")
    try:
        client = stripe_client(settings.stripe_api_key, settings.stripe_api_base)
        session = await client.v1.checkout.sessions.create_async(
            params={
                "mode": "subscription",
                "line_items": [{"price": settings.stripe_price_id_pro, "quantity": 1}],
                "client_reference_id": str(user.id),
                "metadata": {"user_id": str(user.id)},
                "subscription_data": {"metadata": {"user_id": str(user.id)}},
                "success_url": settings.billing_success_url,
                "cancel_url": settings.billing_cancel_url,
            }
        )
    except stripe.StripeError as exc:
        log.error("stripe checkout failed: %s", exc.user_message or type(exc).__name__)
        raise ApiError(503, "payment provider unavailable, try again shortly") from exc
    return CheckoutSession(url=session.url)
