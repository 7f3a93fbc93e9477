"""The gateway against the scripted OpenAI server: failover, parse errors, ledger, idempotency."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from activities.llm.errors import LlmOutputInvalidError, LlmRequestRejectedError, LlmUnavailableError
from activities.llm.gateway import LlmGateway
from activities.llm.ledger import LlmLedger
from activities.llm.request import Prompt
from studyflow.contracts.llm_drafts import TopicNotesDraft
from tests.support.ledger import ledger_rows
from tests.support.scripted_openai import Reply, auto_reply

GOOD_NOTES = auto_reply("topic_notes", "topic 'joins'")


def _prompt(marker: str) -> Prompt:
    return Prompt(
        purpose="topic_notes",
        schema_name="topic_notes",
        version="test-1",
        messages=[{"role": "user", "content": f"write notes {marker}"}],
    )


@pytest.fixture
def gateway(settings, session_factory) -> LlmGateway:
    return LlmGateway(settings, LlmLedger(session_factory))


@pytest.fixture
def marker() -> str:
    return f"m-{uuid.uuid4().hex}"


async def test_primary_429_is_served_by_fallback_and_the_next_call_starts_on_primary(
    gateway, llm_server, session_factory, marker
):
    llm_server.on(marker, [Reply.error(429, "rate limit")], provider="primary")
    result = await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
    assert result.provider == "fallback" and result.model == "fallback-model"

    again = await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
    assert again.provider == "primary"

    rows = await ledger_rows(session_factory, marker)
    assert [(r.provider, r.outcome) for r in rows] == [
        ("primary", "rate_limited"),
        ("fallback", "ok"),
        ("primary", "ok"),
    ]
    assert [c.provider for c in llm_server.calls(marker)] == ["primary", "fallback", "primary"]


@pytest.mark.parametrize("failure", [Reply.error(503, "overloaded"), Reply.json(GOOD_NOTES, delay=5)])
async def test_overload_and_timeout_fail_over(gateway, llm_server, marker, failure):
    llm_server.on(marker, [failure], provider="primary")
    result = await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
    assert result.provider == "fallback"


async def test_both_endpoints_failing_raises_the_retryable_unavailable_error(
    gateway, llm_server, session_factory, marker
):
    llm_server.on(marker, [Reply.error(503)], repeat_last=True)
    with pytest.raises(LlmUnavailableError, match="primary: HTTP 503; fallback: HTTP 503"):
        await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
    assert [(r.provider, r.outcome) for r in await ledger_rows(session_factory, marker)] == [
        ("primary", "http_503"),
        ("fallback", "http_503"),
    ]


async def test_malformed_json_is_repaired_once_and_counted_as_a_parse_failure(
    gateway, llm_server, session_factory, marker
):
    llm_server.on(marker, [Reply.text('{"explanation": "cut off'), Reply.json(GOOD_NOTES)])
    result = await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
    assert result.value.key_points == GOOD_NOTES["key_points"]
    rows = await ledger_rows(session_factory, marker)
    assert [(r.provider, r.outcome) for r in rows] == [("primary", "invalid_json"), ("primary", "ok")]
    # The repair request shows the model its broken reply.
    assert "could not be used" in llm_server.calls(marker)[1].text


async def test_output_still_invalid_after_repair_is_a_distinct_error(gateway, llm_server, session_factory, marker):
    llm_server.on(marker, [Reply.text("not json at all"), Reply.json({"explanation": "too short"})])
    with pytest.raises(LlmOutputInvalidError) as raised:
        await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
    assert not isinstance(raised.value, LlmUnavailableError)
    outcomes = [r.outcome for r in await ledger_rows(session_factory, marker)]
    assert outcomes == ["invalid_json", "invalid_schema"]


async def test_a_persisted_reply_is_reused_instead_of_calling_again(gateway, llm_server, marker):
    key = f"idem-{marker}"
    first = await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker, idempotency_key=key)
    second = await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker, idempotency_key=key)
    assert second.reused and second.value == first.value
    assert len(llm_server.calls(marker)) == 1


async def test_the_request_carries_the_json_schema(gateway, llm_server, marker):
    await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
    assert llm_server.calls(marker)[0].schema_name == "topic_notes"


async def test_the_longest_retry_after_a_provider_asked_for_is_the_next_attempts_delay(gateway, llm_server, marker):
    llm_server.on(marker, [Reply.error(429, "slow down", headers={"Retry-After": "7"})], provider="primary")
    llm_server.on(marker, [Reply.error(503, "busy", headers={"retry-after-ms": "2500"})], provider="fallback")
    with pytest.raises(LlmUnavailableError) as raised:
        await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
    assert raised.value.next_retry_delay == timedelta(seconds=7)
    assert not raised.value.non_retryable


async def test_a_retry_after_is_capped_and_an_http_date_is_understood(gateway, llm_server, settings, marker):
    llm_server.on(marker, [Reply.error(429, headers={"Retry-After": "86400"})], provider="primary")
    llm_server.on(
        marker, [Reply.error(503, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})], provider="fallback"
    )
    with pytest.raises(LlmUnavailableError) as raised:
        await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
    assert raised.value.next_retry_delay == timedelta(seconds=settings.llm_retry_after_max_seconds)


async def test_without_retry_after_the_retry_policy_decides_the_delay(gateway, llm_server, marker):
    llm_server.on(marker, [Reply.error(503)], repeat_last=True)
    with pytest.raises(LlmUnavailableError) as raised:
        await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
    assert raised.value.next_retry_delay is None


async def test_a_bad_key_on_both_endpoints_fails_at_once_naming_what_to_fix(
    gateway, llm_server, session_factory, marker
):
    llm_server.on(marker, [Reply.error(401, "Incorrect API key provided")], repeat_last=True)
    with pytest.raises(LlmRequestRejectedError) as raised:
        await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
    assert raised.value.non_retryable and raised.value.type == "LlmRequestRejectedError"
    message = str(raised.value)
    assert "primary endpoint (primary-model at" in message and "HTTP 401: the API key was refused" in message
    assert "fallback endpoint (fallback-model at" in message
    outcomes = [(r.provider, r.outcome) for r in await ledger_rows(session_factory, marker)]
    assert outcomes == [("primary", "http_401"), ("fallback", "http_401")]


async def test_an_unknown_model_on_the_primary_is_served_by_the_fallback(gateway, llm_server, marker):
    llm_server.on(marker, [Reply.error(404, "The model does not exist")], provider="primary")
    result = await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
    assert result.provider == "fallback"


async def test_a_malformed_request_is_not_sent_to_the_fallback_nor_retried(gateway, llm_server, marker):
    llm_server.on(marker, [Reply.error(400, "messages: too long")], repeat_last=True)
    with pytest.raises(LlmRequestRejectedError, match="HTTP 400: the provider rejected the request as malformed"):
        await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
    assert [c.provider for c in llm_server.calls(marker)] == ["primary"]


async def test_a_refusal_on_one_endpoint_and_an_outage_on_the_other_stays_retryable(gateway, llm_server, marker):
    llm_server.on(marker, [Reply.error(401)], provider="primary")
    llm_server.on(marker, [Reply.error(503)], provider="fallback")
    with pytest.raises(LlmUnavailableError):
        await gateway.generate(_prompt(marker), TopicNotesDraft, subject_id=marker)
