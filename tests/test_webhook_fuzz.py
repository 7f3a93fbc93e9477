"""Webhook fuzz (issue 29): payloads of arbitrary shape, signed with the real secrets, against the API
as its own process (uvicorn with the production protocol). Every answer is a 2xx or a 4xx; state
changes only from well-formed events; every provisioning workflow an accepted Clerk event started
ends (none retries for ever).

Payloads come from hypothesis: arbitrary JSON (NaN, huge numbers, NUL, deep nesting and 5 KB
strings included) and event-shaped documents whose every field is either plausible or arbitrary,
so well-formed events are generated too and the apply paths run. Bounded by
`STUDYFLOW_WEBHOOK_FUZZ_EXAMPLES` per provider (default 150)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import uuid
from contextlib import AsyncExitStack

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus

from studyflow.contracts.provider_events import (
    CLERK_EVENTS,
    STRIPE_OBJECTS,
    ClerkEvent,
    MalformedPayload,
    StripeEvent,
    clerk_event_data,
    parse_json_strictly,
)
from tests.support.api_process import spawn_api
from tests.support.app import make_settings
from tests.support.serving_workers import serving_workers
from tests.support.signing import CLERK_SECRET, STRIPE_SECRET

EXAMPLES = int(os.environ.get("STUDYFLOW_WEBHOOK_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here is reproducible
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

# --- payloads -----------------------------------------------------------------------------------
_nasty_text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "\u0000", "a\u0000b", "x" * 5000, "\u202e", "evt_1", "user_1", "null", "1e400"]),
)
_numbers = st.one_of(
    st.integers(min_value=-1000, max_value=10**6),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([10**30, -1, 0, 2**53 + 1]),
    st.floats(),  # NaN and Infinity too: written as such when `raw`, which is not JSON
)
arbitrary_json = st.recursive(
    st.one_of(st.none(), st.booleans(), _numbers, _nasty_text),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_nasty_text, children, max_size=4)),
    max_leaves=12,
)


def _mutated(plausible: st.SearchStrategy, paths: list[str]) -> st.SearchStrategy:
    """A plausible document, as it is (about a third of the time) or with one field (or the whole)
    replaced by arbitrary JSON or removed: malformed in one place at a time, so both the refusals
    and the apply paths are reached."""
    choices = [None] * (len(paths) // 2 + 1) + [("set", p) for p in paths] + [("del", p) for p in paths]
    return st.tuples(plausible, st.sampled_from(choices), arbitrary_json).map(_apply_mutation)


def _apply_mutation(drawn):
    document, mutation, value = drawn
    if mutation is None:
        return document
    action, path = mutation
    if path == "":
        return value
    *parents, last = path.split(".")
    target = document
    for key in parents:
        if not isinstance(target.get(key), dict):
            return document
        target = target[key]
    if action == "del":
        target.pop(last, None)
    else:
        target[last] = value
    return document


STRIPE_PATHS = [
    "",
    "id",
    "type",
    "created",
    "data",
    "data.object",
    "data.object.id",
    "data.object.status",
    "data.object.customer",
    "data.object.metadata",
    "data.object.metadata.user_id",
    "data.object.current_period_end",
    "data.object.mode",
]
CLERK_PATHS = ["", "type", "data", "data.id", "data.email_addresses", "data.primary_email_address_id"]


PLAUSIBLE_ID = re.compile(r"\A[a-z]{2,4}_[A-Za-z0-9]{8,24}\Z")


def stripe_events(user_id: str, customer: str) -> st.SearchStrategy:
    ids = st.from_regex(PLAUSIBLE_ID)
    now = int(time.time())
    obj = st.fixed_dictionaries(
        {
            "id": ids,
            "status": st.sampled_from(["active", "trialing", "canceled", "past_due", "unpaid"]),
            "customer": st.just(customer),
            "metadata": st.fixed_dictionaries({"user_id": st.just(user_id)}),
            "mode": st.sampled_from(["subscription", "subscription", "payment"]),
            "payment_status": st.sampled_from(["paid", "unpaid", "no_payment_required"]),
        },
        optional={
            "current_period_end": st.integers(min_value=now, max_value=now + 10**7),
            "amount_due": st.integers(min_value=0, max_value=10**6),
            "subscription": ids,
        },
    )
    event = st.fixed_dictionaries(
        {
            "id": ids,
            "type": st.sampled_from([*STRIPE_OBJECTS, "charge.refunded"]),
            "created": st.integers(min_value=now - 10**6, max_value=now + 10**6),
            "data": st.fixed_dictionaries({"object": obj}),
        },
        optional={"object": st.just("event"), "livemode": st.booleans()},
    )
    return _mutated(event, STRIPE_PATHS)


def clerk_events() -> st.SearchStrategy:
    email = st.from_regex(r"\A[a-z]{1,10}@[a-z]{1,10}\.test\Z")
    address = st.fixed_dictionaries({"id": st.just("idn_1"), "email_address": email})
    data = st.fixed_dictionaries(
        {"id": st.from_regex(r"\Auser_[A-Za-z0-9]{4,20}\Z")},
        optional={"email_addresses": st.lists(address, max_size=3), "primary_email_address_id": st.just("idn_1")},
    )
    organization = st.fixed_dictionaries(
        {"id": st.from_regex(r"\Aorg_[A-Za-z0-9]{4,20}\Z"), "name": st.text(min_size=1, max_size=40)},
        optional={"updated_at": st.integers(min_value=0, max_value=2**53)},
    )
    membership = st.fixed_dictionaries(
        {
            "id": st.from_regex(r"\Aorgmem_[A-Za-z0-9]{4,20}\Z"),
            "organization": organization,
            "public_user_data": st.fixed_dictionaries(
                {"user_id": st.from_regex(r"\Auser_[A-Za-z0-9]{4,20}\Z")},
                optional={"identifier": email, "first_name": st.text(max_size=20)},
            ),
            "role": st.sampled_from(["org:admin", "org:member", "org:tutor", "org:x"]),
        },
        optional={"updated_at": st.integers(min_value=0, max_value=2**53)},
    )
    event = st.fixed_dictionaries(
        {
            "type": st.sampled_from([*CLERK_EVENTS, "session.created"]),
            "data": st.one_of(data, organization, membership),
        },
        optional={"object": st.just("event")},
    )
    return _mutated(event, CLERK_PATHS)


def _body(payload, raw: bool) -> str:
    """JSON; with `raw`, NaN and Infinity as Python writes them (not JSON), else as null."""
    if raw:
        return json.dumps(payload)
    return json.dumps(_finite(payload))


def _finite(value):
    if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


# --- what a well-formed event is (the same schemas the API applies) ------------------------------
def _well_formed_stripe(text: str) -> bool:
    try:
        event = StripeEvent.model_validate(parse_json_strictly(text))
        STRIPE_OBJECTS[event.type].model_validate(event.data.object)
        return True
    except (MalformedPayload, ValidationError, KeyError):
        return False


def _well_formed_clerk(text: str) -> bool:
    try:
        event = ClerkEvent.model_validate(parse_json_strictly(text))
        clerk_event_data(event.type, event.data)
        return True
    except (MalformedPayload, ValidationError, KeyError):
        return False


# --- the API under fuzz ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def hooked_api(database_url, llm_server, tmp_path_factory, temporal_env, session_factory):
    """An API process and a worker on task queues of their own: the provisioning workflows the
    fuzz starts cannot wait behind work other tests left on the session's queues."""
    settings = make_settings(database_url, llm_server, tmp_path_factory.mktemp("hooked"))
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(serving_workers(temporal_env.client, settings, session_factory))
        address = temporal_env.client.service_client.config.target_host
        process, base_url = spawn_api(
            settings, address, CLERK_WEBHOOK_SECRET=CLERK_SECRET, STRIPE_WEBHOOK_SECRET=STRIPE_SECRET, LOG_LEVEL="ERROR"
        )
        try:
            yield base_url
        finally:
            process.terminate()
            process.wait(10)


def _sign_stripe(text: str) -> dict[str, str]:
    import hashlib
    import hmac

    at = int(time.time())
    mac = hmac.new(STRIPE_SECRET.encode(), f"{at}.{text}".encode(), hashlib.sha256).hexdigest()
    return {"stripe-signature": f"t={at},v1={mac}", "content-type": "application/json"}


def _sign_clerk(text: str) -> dict[str, str]:
    from datetime import UTC, datetime

    from svix.webhooks import Webhook

    msg_id, now = f"msg_fuzz_{uuid.uuid4().hex}", datetime.now(UTC)
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(int(now.timestamp())),
        "svix-signature": Webhook(CLERK_SECRET).sign(msg_id, now, text),
        "content-type": "application/json",
    }


def _learner_state(database_url: str, user_id: str) -> tuple:
    with psycopg.connect(database_url) as conn:
        user = conn.execute("SELECT plan, subscription_status FROM users WHERE id = %s", (user_id,)).fetchone()
        subscription = conn.execute(
            "SELECT status, stripe_customer_id, stripe_subscription_id, current_period_end FROM subscriptions "
            "WHERE user_id = %s",
            (user_id,),
        ).fetchone()
        payments = conn.execute("SELECT count(*) FROM payments WHERE user_id = %s", (user_id,)).fetchone()
    return user, subscription, payments


async def test_signed_stripe_payloads_of_any_shape_get_2xx_or_4xx_and_only_well_formed_ones_change_state(
    hooked_api, settings
):
    clerk_id = f"fuzz_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(settings.database_url) as conn:
        user_id = str(conn.execute("INSERT INTO users (clerk_id) VALUES (%s) RETURNING id", (clerk_id,)).fetchone()[0])
    customer = f"cus_fuzz{uuid.uuid4().hex[:6]}"
    seen: dict[int, int] = {}
    changed_by = {"well-formed": 0}

    with httpx.Client(base_url=hooked_api, timeout=30) as http:

        @FUZZ
        @given(payload=stripe_events(user_id, customer), raw=st.booleans())
        def one(payload, raw):
            if isinstance(payload, dict) and isinstance(payload.get("id"), str) and PLAUSIBLE_ID.match(payload["id"]):
                payload["id"] = f"evt_{uuid.uuid4().hex[:20]}"  # a new event each time (not a duplicate)
            text = _body(payload, raw)
            before = _learner_state(settings.database_url, user_id)
            response = http.post("/v1/webhooks/stripe", content=text.encode(), headers=_sign_stripe(text))
            key = response.json().get("outcome", response.status_code)
            seen[key] = seen.get(key, 0) + 1
            assert response.status_code in (200, 400), (response.status_code, response.text[:300], text[:300])
            assert response.json().get("error") or response.json().get("received")
            if _learner_state(settings.database_url, user_id) != before:
                assert _well_formed_stripe(text), f"state changed by a malformed event: {text[:500]}"
                changed_by["well-formed"] += 1

        await asyncio.to_thread(one)
    print(f"stripe fuzz: {sum(seen.values())} cases, answers {seen}, state changes {changed_by['well-formed']}")
    assert seen.get(400) and seen.get("applied")  # both kinds were generated
    assert changed_by["well-formed"] > 0  # and well-formed ones did reach the apply logic


async def test_signed_clerk_payloads_of_any_shape_get_2xx_or_4xx_and_every_started_workflow_ends(
    hooked_api, settings, temporal_env
):
    seen: dict[int, int] = {}
    accepted: list[str] = []

    with httpx.Client(base_url=hooked_api, timeout=30) as http:

        @FUZZ
        @given(payload=clerk_events(), raw=st.booleans())
        def one(payload, raw):
            text = _body(payload, raw)
            headers = _sign_clerk(text)
            response = http.post("/v1/webhooks/clerk", content=text.encode(), headers=headers)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            assert response.status_code in (200, 202, 400), (response.status_code, response.text[:300], text[:300])
            if response.status_code == 202:
                assert _well_formed_clerk(text), f"accepted a malformed event: {text[:500]}"
                accepted.append(headers["svix-id"])
            # A replay of the same delivery is acknowledged and starts nothing more.
            if response.status_code in (200, 202) and len(accepted) % 10 == 1:
                again = http.post("/v1/webhooks/clerk", content=text.encode(), headers=headers)
                assert again.status_code == 200, again.text

        await asyncio.to_thread(one)
    print(f"clerk fuzz: {sum(seen.values())} cases, answers {seen}, workflows started {len(accepted)}")
    assert seen.get(202) and seen.get(400)

    async def still_running() -> list[str]:
        running = []
        for delivery in accepted:
            handle = temporal_env.client.get_workflow_handle(f"clerk-event-{delivery}")
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                running.append(handle.id)
        return running

    # Every accepted event's workflow ends, none is left retrying. The bound is generous because
    # the session's worker may still be busy with earlier tests' work on a loaded machine; what
    # is left running is then described (its retrying step and last error), not just counted.
    running = await still_running()
    deadline = time.monotonic() + 180
    while running and time.monotonic() < deadline:
        await asyncio.sleep(1)
        running = await still_running()
    # What is left running is ended by `serving_workers` when the fixture closes.
    assert not running, await _why_running(temporal_env.client, running)
    failed = 0
    for delivery in accepted:
        description = await temporal_env.client.get_workflow_handle(f"clerk-event-{delivery}").describe()
        failed += description.status != WorkflowExecutionStatus.COMPLETED
    assert failed == 0, f"{failed} provisioning workflows did not complete"


async def _why_running(client, workflow_ids: list[str]) -> str:
    lines = [f"{len(workflow_ids)} provisioning workflows still running after 180 s:"]
    for workflow_id in workflow_ids[:5]:
        handle = client.get_workflow_handle(workflow_id)
        raw = (await handle.describe()).raw_description
        activities = raw.pending_activities
        pending = [f"{a.activity_type.name} #{a.attempt}: {a.last_failure.message[:200]}" for a in activities]
        events = [EventType.Name(event.event_type) for event in (await handle.fetch_history()).events][-6:]
        task = raw.pending_workflow_task
        lines.append(
            f"- {workflow_id}: activities {pending or 'none'}; workflow task attempt {task.attempt}; "
            f"last events {events}"
        )
    return "\n".join(lines)
