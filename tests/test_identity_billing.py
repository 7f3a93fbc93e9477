"""Clerk and Stripe webhooks, plans and quotas, rate limiting (real services, test secrets)."""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import func, select
from temporalio.client import WorkflowExecutionStatus

from db.models import Course, Goal, Subscription, User, WebhookEvent
from tests.support.app import open_api_client
from tests.support.courses import create_course, unique_topic
from tests.support.fake_stripe import FakeStripe
from tests.support.polling import poll_until
from tests.support.scripted_openai import Reply
from tests.support.signing import (
    CLERK_SECRET,
    STRIPE_SECRET,
    clerk_delivery,
    clerk_user_event,
    stripe_delivery,
    stripe_event,
)


@pytest.fixture
async def billing_api(settings, temporal_env, worker):
    """The session worker's queues, with webhook secrets, a fake Stripe API and small quotas."""
    stripe_api = FakeStripe().start()
    configured = settings.model_copy(
        update={
            "clerk_webhook_secret": CLERK_SECRET,
            "stripe_webhook_secret": STRIPE_SECRET,
            "stripe_api_key": "sk_test_studyflow",
            "stripe_price_id_pro": "price_pro_monthly",
            "stripe_api_base": stripe_api.base_url,
            "free_courses_per_day": 1,
            "pro_courses_per_day": 5,
        }
    )
    configured = type(settings).model_validate(configured.model_dump())
    async with AsyncExitStack() as stack:
        api = await open_api_client(stack, configured, temporal_env)
        api.stripe = stripe_api
        yield api
    stripe_api.stop()


async def _snapshot(session_factory) -> tuple:
    async with session_factory() as session:
        return (
            await session.scalar(select(func.count()).select_from(User)),
            await session.scalar(select(func.count()).where(User.plan == "pro")),
            await session.scalar(select(func.count()).select_from(WebhookEvent)),
            await session.scalar(select(func.count()).select_from(Subscription)),
            tuple(await session.scalars(select(User.email).order_by(User.id))),
        )


async def _user(session_factory, clerk_id: str) -> User | None:
    async with session_factory() as session:
        return await session.scalar(select(User).where(User.clerk_id == clerk_id))


async def _post_clerk(api, event: dict, **kwargs):
    body, headers = clerk_delivery(event, **kwargs)
    return await api.http.post("/v1/webhooks/clerk", content=body, headers=headers), body, headers


async def test_clerk_created_and_updated_provision_the_user(billing_api, session_factory):
    clerk_id = f"user_{uuid.uuid4().hex[:10]}"
    created, _, _ = await _post_clerk(billing_api, clerk_user_event("created", clerk_id, "first@example.com"))
    assert created.status_code == 202
    user = await poll_until(lambda: _user(session_factory, clerk_id), lambda u: u is not None)
    assert user.email == "first@example.com"
    await _post_clerk(billing_api, clerk_user_event("updated", clerk_id, "second@example.com"))
    await poll_until(lambda: _user(session_factory, clerk_id), lambda u: u.email == "second@example.com")


async def test_forged_stale_unsigned_and_replayed_clerk_deliveries_change_nothing(billing_api, session_factory):
    clerk_id = f"user_{uuid.uuid4().hex[:10]}"
    event = clerk_user_event("created", clerk_id, "x@example.com")
    accepted, body, headers = await _post_clerk(billing_api, event)
    assert accepted.status_code == 202
    await poll_until(lambda: _user(session_factory, clerk_id), lambda u: u is not None)
    before = await _snapshot(session_factory)

    forged_id = f"user_{uuid.uuid4().hex[:10]}"
    forged, _, _ = await _post_clerk(
        billing_api, clerk_user_event("created", forged_id), secret="whsec_" + "Zm9yZ2VkLXNlY3JldC1mb3JnZWQtc2VjcmV0"
    )
    stale, _, _ = await _post_clerk(billing_api, clerk_user_event("created", forged_id), at=time.time() - 3600)
    unsigned = await billing_api.http.post(
        "/v1/webhooks/clerk", content=body, headers={"content-type": "application/json"}
    )
    replayed = await billing_api.http.post("/v1/webhooks/clerk", content=body, headers=headers)
    tampered = await billing_api.http.post(
        "/v1/webhooks/clerk", content=body.replace("x@example.com", "evil@example.com"), headers=headers
    )
    assert [r.status_code for r in (forged, stale, unsigned, tampered)] == [401] * 4
    assert replayed.status_code == 200 and replayed.json()["outcome"] == "duplicate"
    await asyncio.sleep(1)  # give any wrongly started workflow time to write
    assert await _snapshot(session_factory) == before
    assert await _user(session_factory, forged_id) is None


async def test_user_deleted_cancels_workflows_and_leaves_no_active_data(
    billing_api, llm_server, temporal_env, session_factory
):
    clerk_id = f"user_{uuid.uuid4().hex[:10]}"
    topic = unique_topic("to-delete")
    llm_server.on(topic, [Reply.auto(delay=8)])
    accepted = await create_course(billing_api, clerk_id, topic)
    handle = temporal_env.client.get_workflow_handle(accepted["workflow_id"])
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    goal = await billing_api.http.post(
        "/v1/goals", json={"kind": "daily_minutes", "target": 15}, headers=billing_api.auth(clerk_id)
    )
    assert goal.status_code == 201

    deleted, _, _ = await _post_clerk(billing_api, clerk_user_event("deleted", clerk_id))
    assert deleted.status_code == 202
    user = await poll_until(lambda: _user(session_factory, clerk_id), lambda u: u.deleted_at is not None)
    description = await poll_until(handle.describe, lambda d: d.status != WorkflowExecutionStatus.RUNNING)
    assert description.status == WorkflowExecutionStatus.CANCELED

    async def courses() -> int:
        async with session_factory() as session:
            return await session.scalar(select(func.count()).where(Course.owner_id == user.id))

    assert await poll_until(courses, lambda n: n == 0) == 0
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).where(Goal.user_id == user.id)) == 0
    assert (await _user(session_factory, clerk_id)).email is None
    # The token still verifies, but the account is gone.
    response = await billing_api.http.get("/v1/me", headers=billing_api.auth(clerk_id))
    assert response.status_code == 401
    # A late "created" for the same user does not bring it back.
    await _post_clerk(billing_api, clerk_user_event("created", clerk_id, "back@example.com"))
    await asyncio.sleep(1)
    assert (await _user(session_factory, clerk_id)).deleted_at is not None


async def _post_stripe(api, event: dict, **kwargs):
    body, headers = stripe_delivery(event, **kwargs)
    return await api.http.post("/v1/webhooks/stripe", content=body, headers=headers)


def _checkout_completed(user_id: uuid.UUID, customer: str) -> dict:
    return stripe_event(
        "checkout.session.completed",
        {
            "object": "checkout.session",
            "id": f"cs_{uuid.uuid4().hex[:8]}",
            "mode": "subscription",
            "payment_status": "paid",
            "client_reference_id": str(user_id),
            "customer": customer,
            "subscription": f"sub_{customer}",
            "metadata": {"user_id": str(user_id)},
        },
    )


async def test_the_same_stripe_event_delivered_five_times_concurrently_is_applied_once(
    billing_api, session_factory, user_a
):
    await billing_api.http.get("/v1/me", headers=billing_api.auth(user_a))
    user = await _user(session_factory, user_a)
    event = _checkout_completed(user.id, f"cus_{uuid.uuid4().hex[:8]}")
    responses = await asyncio.gather(*[_post_stripe(billing_api, event) for _ in range(5)])
    assert all(r.status_code == 200 for r in responses)
    assert sorted(r.json()["outcome"] for r in responses) == ["applied"] + ["duplicate"] * 4
    async with session_factory() as session:
        assert (
            await session.scalar(
                select(func.count()).where(WebhookEvent.provider == "stripe", WebhookEvent.event_id == event["id"])
            )
            == 1
        )
    me = (await billing_api.http.get("/v1/me", headers=billing_api.auth(user_a))).json()
    assert me["plan"] == "pro" and me["subscription_status"] == "active"
    assert me["limits"]["courses_per_day"] == 5


async def test_subscription_deleted_returns_to_free_and_the_free_quota_applies(billing_api, session_factory, user_a):
    await billing_api.http.get("/v1/me", headers=billing_api.auth(user_a))
    user = await _user(session_factory, user_a)
    customer = f"cus_{uuid.uuid4().hex[:8]}"
    await _post_stripe(billing_api, _checkout_completed(user.id, customer))
    for _ in range(2):  # two courses today: allowed on pro (5), over the free quota (1)
        await create_course(billing_api, user_a, unique_topic("pro"))
    deleted = await _post_stripe(
        billing_api,
        stripe_event(
            "customer.subscription.deleted",
            {"object": "subscription", "id": f"sub_{customer}", "customer": customer, "status": "canceled"},
        ),
    )
    assert deleted.json()["outcome"] == "applied"
    me = (await billing_api.http.get("/v1/me", headers=billing_api.auth(user_a))).json()
    assert me["plan"] == "free" and me["subscription_status"] == "canceled"
    over = await billing_api.http.post(
        "/v1/courses", json={"topic": unique_topic("free")}, headers=billing_api.auth(user_a)
    )
    assert over.status_code == 429 and over.headers["Retry-After"]


async def test_forged_stale_and_replayed_stripe_deliveries_change_nothing(billing_api, session_factory, user_a):
    await billing_api.http.get("/v1/me", headers=billing_api.auth(user_a))
    user = await _user(session_factory, user_a)
    event = _checkout_completed(user.id, f"cus_{uuid.uuid4().hex[:8]}")
    before = await _snapshot(session_factory)
    forged = await _post_stripe(billing_api, event, secret="whsec_wrong")
    stale = await _post_stripe(billing_api, event, at=time.time() - 3600)
    unsigned = await billing_api.http.post(
        "/v1/webhooks/stripe", content=b"{}", headers={"content-type": "application/json"}
    )
    assert [r.status_code for r in (forged, stale, unsigned)] == [401, 401, 401]
    assert await _snapshot(session_factory) == before

    assert (await _post_stripe(billing_api, event)).json()["outcome"] == "applied"
    after_first = await _snapshot(session_factory)
    replay = await _post_stripe(billing_api, event)
    assert replay.json()["outcome"] == "duplicate"
    assert await _snapshot(session_factory) == after_first


async def test_stripe_event_for_an_unknown_user_is_acknowledged_and_changes_nothing(billing_api, session_factory):
    before = await _snapshot(session_factory)
    event = stripe_event(
        "customer.subscription.updated",
        {"object": "subscription", "id": "sub_x", "customer": "cus_nobody", "status": "active"},
    )
    response = await _post_stripe(billing_api, event)
    assert response.status_code == 200 and response.json()["outcome"] == "unknown_user"
    users, pro, events, subs, emails = await _snapshot(session_factory)
    assert (users, pro, subs, emails) == (before[0], before[1], before[3], before[4]) and events == before[2] + 1


async def test_checkout_returns_a_stripe_url_created_server_side(billing_api, session_factory, user_a):
    response = await billing_api.http.post("/v1/billing/checkout", headers=billing_api.auth(user_a))
    assert response.status_code == 200
    assert response.json()["url"].startswith("https://checkout.test/cs_test_")
    user = await _user(session_factory, user_a)
    sent = billing_api.stripe.requests[-1]
    assert sent["auth"] == "Bearer sk_test_studyflow"
    assert sent["form"]["client_reference_id"] == [str(user.id)]
    assert sent["form"]["line_items[0][price]"] == ["price_pro_monthly"]


async def test_me_shows_plan_limits_and_usage(billing_api, user_a):
    await create_course(billing_api, user_a, unique_topic("usage"))
    me = (await billing_api.http.get("/v1/me", headers=billing_api.auth(user_a))).json()
    assert me["id"] == user_a and me["plan"] == "free"
    assert me["limits"]["courses_per_day"] == 1 and me["usage_today"]["courses"] == 1


async def test_generation_routes_are_rate_limited_per_user(settings, temporal_env, worker, user_a, user_b):
    limited = type(settings).model_validate(
        settings.model_copy(update={"rate_limit_burst": 3, "rate_limit_per_minute": 6}).model_dump()
    )
    async with AsyncExitStack() as stack:
        api = await open_api_client(stack, limited, temporal_env)
        codes = [
            (
                await api.http.post("/v1/courses", json={"topic": unique_topic("rl")}, headers=api.auth(user_a))
            ).status_code
            for _ in range(5)
        ]
        assert codes == [202, 202, 202, 429, 429]
        last = await api.http.post("/v1/courses", json={"topic": unique_topic("rl")}, headers=api.auth(user_a))
        assert 1 <= int(last.headers["Retry-After"]) <= 10
        # Another learner and non-generation routes are unaffected.
        assert (
            await api.http.post("/v1/courses", json={"topic": unique_topic("rl")}, headers=api.auth(user_b))
        ).status_code == 202
        assert (await api.http.get("/v1/courses", headers=api.auth(user_a))).status_code == 200


async def test_a_refusal_is_held_before_it_is_sent(settings, temporal_env, worker, user_a):
    limited = type(settings).model_validate(
        settings.model_copy(
            update={"rate_limit_burst": 1, "rate_limit_per_minute": 0.01, "refusal_delay_seconds": 0.5}
        ).model_dump()
    )
    async with AsyncExitStack() as stack:
        api = await open_api_client(stack, limited, temporal_env)
        first = await api.http.post("/v1/courses", json={"topic": unique_topic("held")}, headers=api.auth(user_a))
        assert first.status_code == 202
        started = time.monotonic()
        refused = await api.http.post("/v1/courses", json={"topic": unique_topic("held")}, headers=api.auth(user_a))
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert time.monotonic() - started >= 0.5


async def test_user_provisioning_history_replays(billing_api, temporal_env, session_factory):
    import os

    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Replayer

    from tests.support.replay import HISTORIES, RECORDING_LABEL
    from worker import WORKFLOWS

    clerk_id = f"user_{uuid.uuid4().hex[:10]}"
    response, _, headers = await _post_clerk(billing_api, clerk_user_event("created", clerk_id, "r@example.com"))
    handle = temporal_env.client.get_workflow_handle(f"clerk-event-{headers['svix-id']}")
    assert await handle.result() == "upserted"
    history = await handle.fetch_history()
    await Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter).replay_workflow(history)
    if os.environ.get("STUDYFLOW_RECORD_HISTORIES"):
        (HISTORIES / f"UserProvisioningWorkflow__{RECORDING_LABEL}.json").write_text(history.to_json())
