"""Signed webhooks of every shape get a 2xx or a 4xx, never a 500; unusable Clerk data never reaches a
workflow that retries forever; Stripe subscription events are applied by their time, not their
arrival order (issue 29, findings 3 and 4)."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import func, select
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from db.models import Subscription, User, WebhookEvent
from studyflow.contracts.workflow_inputs import UserProvisioningInput
from tests.support.app import open_api_client
from tests.support.polling import poll_until
from tests.support.signing import (
    CLERK_SECRET,
    STRIPE_SECRET,
    clerk_delivery,
    clerk_user_event,
    stripe_delivery,
    stripe_event,
)
from workflows.user_provisioning import UserProvisioningWorkflow


@pytest.fixture
async def hooks(settings, temporal_env, worker):
    configured = type(settings).model_validate(
        settings.model_copy(
            update={"clerk_webhook_secret": CLERK_SECRET, "stripe_webhook_secret": STRIPE_SECRET}
        ).model_dump()
    )
    async with AsyncExitStack() as stack:
        yield await open_api_client(stack, configured, temporal_env)


async def _events(session_factory) -> int:
    async with session_factory() as session:
        return await session.scalar(select(func.count()).select_from(WebhookEvent))


def _signed_stripe(text: str) -> dict:
    """Signs any text the way Stripe signs a body."""
    import hashlib
    import hmac

    timestamp = int(time.time())
    mac = hmac.new(STRIPE_SECRET.encode(), f"{timestamp}.{text}".encode(), hashlib.sha256).hexdigest()
    return {"stripe-signature": f"t={timestamp},v1={mac}", "content-type": "application/json"}


def _signed_clerk(text: str, msg_id: str | None = None) -> dict:
    from datetime import UTC, datetime

    from svix.webhooks import Webhook

    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(int(now.timestamp())),
        "svix-signature": Webhook(CLERK_SECRET).sign(msg_id, now, text),
        "content-type": "application/json",
    }


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def _stripe_envelope(**changes) -> str:
    event = stripe_event("customer.subscription.updated", {"object": "subscription", "id": "sub_1", "status": "active"})
    event.update(changes)
    return json.dumps(event)


# Each was a 500 before: the body as text, and why it must be refused.
STRIPE_MALFORMED = {
    "array": "[1, 2]",
    "string": '"evt"',
    "null": "null",
    "number": "42",
    "data a string": _stripe_envelope(data="x"),
    "object a list": _stripe_envelope(data={"object": [1]}),
    "5 KB id": _stripe_envelope(id="evt_" + "x" * 5000),
    "5 KB type": _stripe_envelope(type="customer." + "x" * 5000),
    "NUL in a value": _stripe_envelope(livemode="a\u0000b"),
    "10^30 created": _stripe_envelope(created=10**30),
    "NaN": _stripe_envelope().replace('"created": ', '"created": NaN, "x": '),
    "Infinity": _stripe_envelope().replace('"created": ', '"created": Infinity, "x": '),
    "1e400": _stripe_envelope().replace('"created": ', '"y": 1e400, "created": '),
    "nesting 100,000 deep": _stripe_envelope().replace('"object": "event"', f'"object": {_deep(100_000)}'),
    "nesting 40 deep": _stripe_envelope().replace('"object": "event"', f'"object": {_deep(40)}'),
    "a boolean id": _stripe_envelope(id=True),
    "no type": json.dumps({"id": "evt_1", "created": 1, "data": {"object": {}}}),
    "not JSON": "{'id': 'evt_1'}",
}


@pytest.mark.parametrize("case", STRIPE_MALFORMED)
async def test_a_signed_stripe_body_that_is_not_an_event_is_a_400_and_writes_nothing(hooks, session_factory, case):
    before = await _events(session_factory)
    text = STRIPE_MALFORMED[case]
    response = await hooks.http.post("/v1/webhooks/stripe", content=text.encode(), headers=_signed_stripe(text))
    assert response.status_code == 400, (case, response.text[:300])
    assert response.json()["error"]["code"] == "bad_request"
    assert len(response.text) < 1000  # the refusal names the problem; it does not echo the body
    assert await _events(session_factory) == before


async def test_a_signed_stripe_event_whose_object_is_unusable_is_acknowledged_as_ignored(hooks, session_factory):
    cases = {
        "status unknown": {"id": "sub_1", "status": "superactive"},
        "no id": {"status": "active"},
        "customer a number": {"id": "sub_1", "status": "active", "customer": 7},
        "period end a string": {"id": "sub_1", "status": "active", "current_period_end": "soon"},
        "metadata a list": {"id": "sub_1", "status": "active", "metadata": ["user_id"]},
    }
    for name, obj in cases.items():
        event = stripe_event("customer.subscription.updated", obj)
        body, headers = stripe_delivery(event)
        response = await hooks.http.post("/v1/webhooks/stripe", content=body, headers=headers)
        assert response.status_code == 200, (name, response.text)
        assert response.json()["outcome"] == "ignored", name
        async with session_factory() as session:
            row = await session.scalar(select(WebhookEvent).where(WebhookEvent.event_id == event["id"]))
        assert row.outcome == "ignored" and row.reason, name
        # Stripe's retry of it is a duplicate, still a 2xx.
        again = await hooks.http.post("/v1/webhooks/stripe", content=body, headers=headers)
        assert again.status_code == 200 and again.json()["outcome"] == "duplicate"


CLERK_MALFORMED = {
    "not JSON": "user.created",
    "array": "[]",
    "string": '"user.created"',
    "null": "null",
    "NUL": json.dumps(clerk_user_event("created", "user_1", "a\u0000b@example.com")),
    "no type": json.dumps({"data": {"id": "user_1"}}),
    "type a list": json.dumps({"type": ["user.created"], "data": {"id": "user_1"}}),
    "NaN": '{"type": "user.created", "data": {"id": "user_1", "n": NaN}}',
    "deep": '{"type": "user.created", "data": ' + _deep(5000) + "}",
}


@pytest.mark.parametrize("case", CLERK_MALFORMED)
async def test_a_signed_clerk_body_that_is_not_an_event_is_a_400_and_writes_nothing(hooks, session_factory, case):
    before = await _events(session_factory)
    text = CLERK_MALFORMED[case]
    response = await hooks.http.post("/v1/webhooks/clerk", content=text.encode(), headers=_signed_clerk(text))
    assert response.status_code == 400, (case, response.text[:300])
    assert await _events(session_factory) == before


async def test_a_3000_character_svix_id_is_a_400(hooks, session_factory):
    before = await _events(session_factory)
    text = json.dumps(clerk_user_event("created", "user_long_msg"))
    response = await hooks.http.post(
        "/v1/webhooks/clerk", content=text, headers=_signed_clerk(text, msg_id="msg_" + "x" * 3000)
    )
    assert response.status_code == 400 and "svix-id" in response.json()["error"]["message"]
    assert await _events(session_factory) == before


async def test_clerk_events_with_unusable_data_are_recorded_as_ignored_and_start_no_workflow(
    hooks, session_factory, temporal_env
):
    long_id = "user_" + "x" * 3000
    cases = {
        "data a string": {"type": "user.created", "data": "user_1"},
        "data a list": {"type": "user.updated", "data": [{"id": "user_1"}]},
        "400-character email": clerk_user_event("created", "user_e", "a" * 390 + "@example.com"),
        "email_addresses of strings": {"type": "user.created", "data": {"id": "user_s", "email_addresses": ["x"]}},
        "3,000-character id": {"type": "user.deleted", "data": {"id": long_id, "deleted": True}},
        "no data": {"type": "user.deleted"},
    }
    for name, event in cases.items():
        body, headers = clerk_delivery(event)
        response = await hooks.http.post("/v1/webhooks/clerk", content=body, headers=headers)
        assert response.status_code == 200, (name, response.text)
        assert response.json()["outcome"] == "ignored", name
        async with session_factory() as session:
            row = await session.scalar(select(WebhookEvent).where(WebhookEvent.event_id == headers["svix-id"]))
        assert row.outcome == "ignored" and row.reason, name
        with pytest.raises(Exception, match="not found"):
            await temporal_env.client.get_workflow_handle(f"clerk-event-{headers['svix-id']}").describe()
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).where(User.clerk_id == long_id)) == 0


async def test_a_replayed_clerk_delivery_is_acknowledged_and_changes_nothing(hooks, session_factory):
    clerk_id = f"user_{uuid.uuid4().hex[:10]}"
    body, headers = clerk_delivery(clerk_user_event("created", clerk_id, "first@example.com"))
    first = await hooks.http.post("/v1/webhooks/clerk", content=body, headers=headers)
    assert first.status_code == 202 and first.json()["outcome"] == "accepted"

    async def user():
        async with session_factory() as session:
            return await session.scalar(select(User).where(User.clerk_id == clerk_id))

    await poll_until(user, lambda u: u is not None)
    replayed = await hooks.http.post("/v1/webhooks/clerk", content=body, headers=headers)
    assert replayed.status_code == 200 and replayed.json()["outcome"] == "duplicate"
    async with session_factory() as session:
        assert (await session.scalar(select(func.count()).where(WebhookEvent.event_id == headers["svix-id"]))) == 1


async def test_a_stored_event_that_does_not_fit_fails_its_workflow_once_with_the_reason(
    hooks, session_factory, temporal_env
):
    """A row recorded before the edge checked it (or by hand): the activity refuses it without a
    retry, and the workflow fails with the reason instead of retrying for ever."""
    async with session_factory() as session:
        row = WebhookEvent(
            provider="clerk",
            event_id=f"msg_legacy_{uuid.uuid4().hex}",
            event_type="user.created",
            payload={"type": "user.created", "data": {"id": "user_x", "email_addresses": ["x"]}},
        )
        session.add(row)
        await session.commit()
    started = time.monotonic()
    handle = await temporal_env.client.start_workflow(
        UserProvisioningWorkflow.run,
        UserProvisioningInput(event_row_id=row.id),
        id=f"clerk-event-{row.event_id}",
        task_queue=hooks.settings.task_queue_interactive,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.non_retryable
    assert "email_addresses.0" in cause.message
    assert (await handle.describe()).status == WorkflowExecutionStatus.FAILED
    assert time.monotonic() - started < 10  # the database retry policy would back off for ever


# --- Stripe ordering ------------------------------------------------------------------------


def _subscription_event(kind: str, user_id: uuid.UUID, customer: str, created: int, status: str) -> dict:
    event = stripe_event(
        f"customer.subscription.{kind}",
        {
            "object": "subscription",
            "id": f"sub_{customer}",
            "customer": customer,
            "status": status,
            "metadata": {"user_id": str(user_id)},
        },
    )
    event["created"] = created
    return event


async def _learner(api, session_factory, clerk_id: str) -> uuid.UUID:
    assert (await api.http.get("/v1/me", headers=api.auth(clerk_id))).status_code == 200
    async with session_factory() as session:
        return await session.scalar(select(User.id).where(User.clerk_id == clerk_id))


@pytest.mark.parametrize("same_second", [False, True], ids=["spread", "same-second"])
async def test_subscription_events_in_every_order_leave_the_newest_state(hooks, session_factory, same_second):
    """created (active) at t0, deleted at t2, an updated (active) at t1: whatever order they
    arrive in, the learner ends on the free plan with the subscription canceled."""
    now = int(time.time())
    times = (now, now, now) if same_second else (now - 20, now, now - 10)
    for order in itertools.permutations(range(3)):
        clerk_id = f"user_order_{uuid.uuid4().hex[:8]}"
        user_id = await _learner(hooks, session_factory, clerk_id)
        customer = f"cus_{uuid.uuid4().hex[:8]}"
        events = [
            _subscription_event("created", user_id, customer, times[0], "active"),
            _subscription_event("deleted", user_id, customer, times[1], "canceled"),
            _subscription_event("updated", user_id, customer, times[2], "active"),
        ]
        outcomes = []
        for index in order:
            body, headers = stripe_delivery(events[index])
            response = await hooks.http.post("/v1/webhooks/stripe", content=body, headers=headers)
            assert response.status_code == 200
            outcomes.append(response.json()["outcome"])
        me = (await hooks.http.get("/v1/me", headers=hooks.auth(clerk_id))).json()
        assert (me["plan"], me["subscription_status"]) == ("free", "canceled"), (order, outcomes)
        async with session_factory() as session:
            subscription = await session.scalar(select(Subscription).where(Subscription.user_id == user_id))
        assert subscription.status == "canceled", order
        assert set(outcomes) <= {"applied", "stale"} and outcomes.count("applied") >= 1


async def test_a_newer_subscription_outlives_the_late_deletion_of_the_old_one(hooks, session_factory):
    clerk_id = f"user_resub_{uuid.uuid4().hex[:8]}"
    user_id = await _learner(hooks, session_factory, clerk_id)
    now = int(time.time())
    old = _subscription_event("created", user_id, "cus_resub_old", now - 30, "active")
    new = _subscription_event("created", user_id, "cus_resub_new", now - 5, "active")
    # The old subscription's deletion is the newest event of all, but it is not the current one.
    old_deleted = _subscription_event("deleted", user_id, "cus_resub_old", now, "canceled")
    for event in (old, new, old_deleted):
        body, headers = stripe_delivery(event)
        assert (await hooks.http.post("/v1/webhooks/stripe", content=body, headers=headers)).status_code == 200
    me = (await hooks.http.get("/v1/me", headers=hooks.auth(clerk_id))).json()
    assert me["plan"] == "pro" and me["subscription_status"] == "active"
