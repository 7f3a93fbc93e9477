"""OpenAI-compatible chat completions with primary→fallback failover, structured output and a ledger.

Retries across attempts belong to Temporal: the SDK's own retries are off, and each call builds a
fresh client so no conversation state or connection outlives it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

import openai
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, ValidationError

from activities.llm.clients import OpenAIClients
from activities.llm.errors import LlmOutputInvalidError, LlmRequestRejectedError, LlmUnavailableError
from activities.llm.json_schema_grammar import grammar_friendly
from activities.llm.ledger import LedgerEntry, LlmLedger
from activities.llm.request import Prompt
from activities.llm.retry_after import requested_wait
from studyflow.settings import Settings

T = TypeVar("T", bound=BaseModel)
TextListener = Callable[[str], Awaitable[None]]

# Statuses that mean "this endpoint is overloaded or down right now": try the other one.
_tracer = trace.get_tracer("studyflow.llm")
FAILOVER_STATUSES = {408, 409, 429, 500, 502, 503, 504, 529}
# Refusals that belong to one endpoint's configuration (its key, its model): the fallback, with its
# own key and model, may still answer. Any other 4xx is about the request and ends the call.
ENDPOINT_REFUSALS = {401, 403, 404}
_REFUSAL_HINTS = {
    400: "the provider rejected the request as malformed",
    401: "the API key was refused; check the endpoint's API key setting",
    403: "the API key may not use this model; check the key's permissions",
    404: "the model or URL does not exist at the provider; check the model name and base URL",
}
_PLACEHOLDER_KEY = "not-needed"  # local OpenAI-compatible servers accept any key


@dataclass(frozen=True)
class Endpoint:
    provider: str  # primary | fallback
    base_url: str | None
    api_key: str
    model: str


@dataclass(frozen=True)
class CallSubject:
    """What a call is about (for the ledger) and whose budget it is spent on."""

    subject_id: str | None
    user_id: uuid.UUID | None


@dataclass(frozen=True)
class LlmResult(Generic[T]):
    value: T
    model: str
    provider: str
    reused: bool = False


@dataclass(frozen=True)
class _Reply:
    text: str
    endpoint: Endpoint
    latency_ms: int
    prompt_tokens: int | None
    completion_tokens: int | None


class LlmGateway:
    def __init__(self, settings: Settings, ledger: LlmLedger):
        self._settings = settings
        self._ledger = ledger
        self._clients = OpenAIClients(settings.llm_timeout_seconds)

    async def reject(self, idempotency_keys: list[str]) -> None:
        """Replies whose content failed the product's checks: the next attempt asks afresh."""
        await self._ledger.reject(idempotency_keys)

    def endpoints(self) -> tuple[Endpoint, Endpoint]:
        s = self._settings
        primary_key = s.openai_api_key.get_secret_value() if s.openai_api_key else _PLACEHOLDER_KEY
        fallback_key = s.fallback_api_key.get_secret_value() if s.fallback_api_key else _PLACEHOLDER_KEY
        return (
            Endpoint("primary", s.openai_base_url, primary_key, s.openai_model),
            Endpoint("fallback", s.fallback_base_url, fallback_key, s.fallback_model),
        )

    async def generate(
        self,
        prompt: Prompt,
        output_type: type[T],
        *,
        subject_id: str | None = None,
        user_id: uuid.UUID | None = None,
        idempotency_key: str | None = None,
        on_text: TextListener | None = None,
    ) -> LlmResult[T]:
        """`on_text` streams the reply: it is called with the text so far as it arrives (the
        first call only; a repair round is not streamed). `user_id` is the learner the call is
        spent on (their monthly LLM budget)."""
        subject = CallSubject(subject_id, user_id)
        if idempotency_key:
            persisted = await self._ledger.persisted_reply(idempotency_key)
            if persisted is not None and persisted.response_text is not None:
                value = output_type.model_validate_json(persisted.response_text)
                return LlmResult(value, persisted.model, persisted.provider, reused=True)

        messages = list(prompt.messages)
        reply = await self._complete(prompt, messages, output_type, subject, on_text)
        try:
            value = self._parse(reply.text, output_type)
        except (json.JSONDecodeError, ValidationError) as first_error:
            await self._record_invalid(prompt, reply, first_error, subject)
            # One repair round: show the model its reply and the problem, ask for valid JSON only.
            messages += [
                {"role": "assistant", "content": reply.text},
                {"role": "user", "content": _repair_request(first_error)},
            ]
            reply = await self._complete(prompt, messages, output_type, subject)
            try:
                value = self._parse(reply.text, output_type)
            except (json.JSONDecodeError, ValidationError) as second_error:
                await self._record_invalid(prompt, reply, second_error, subject)
                raise LlmOutputInvalidError(
                    f"{prompt.purpose}: reply is not valid {output_type.__name__} JSON "
                    f"after a repair attempt: {_short(second_error)}"
                ) from second_error

        await self._ledger.record(
            LedgerEntry(
                purpose=prompt.purpose,
                provider=reply.endpoint.provider,
                model=reply.endpoint.model,
                latency_ms=reply.latency_ms,
                outcome="ok",
                prompt_version=prompt.version,
                prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens,
                subject_id=subject.subject_id,
                user_id=subject.user_id,
                idempotency_key=idempotency_key,
                response_text=value.model_dump_json(),
            )
        )
        return LlmResult(value, reply.endpoint.model, reply.endpoint.provider)

    @staticmethod
    def _parse(text: str, output_type: type[T]) -> T:
        # strict=False: a raw newline inside a string is a common small-model slip, not an error.
        return output_type.model_validate(json.loads(_strip_fences(text), strict=False))

    async def _record_invalid(self, prompt: Prompt, reply: _Reply, error: Exception, subject: CallSubject) -> None:
        outcome = "invalid_json" if isinstance(error, json.JSONDecodeError) else "invalid_schema"
        await self._ledger.record(
            LedgerEntry(
                purpose=prompt.purpose,
                provider=reply.endpoint.provider,
                model=reply.endpoint.model,
                latency_ms=reply.latency_ms,
                outcome=outcome,
                prompt_version=prompt.version,
                prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens,
                error=_short(error),
                subject_id=subject.subject_id,
                user_id=subject.user_id,
            )
        )

    async def _complete(
        self,
        prompt: Prompt,
        messages: list[dict],
        output_type: type[BaseModel],
        subject: CallSubject,
        on_text: TextListener | None = None,
    ) -> _Reply:
        """One logical call: primary first, the fallback on overload/outage/timeout or on a refusal
        that is about the primary's own configuration."""
        failures: list[str] = []
        refusals: list[str] = []
        waits = []
        for endpoint in self.endpoints():
            started = time.perf_counter()
            try:
                # The LLM HTTP call as a span of the activity's trace (a no-op when tracing is off);
                # GenAI semantic-convention names, so trace viewers know it.
                with _tracer.start_as_current_span(
                    f"chat {endpoint.model}",
                    kind=SpanKind.CLIENT,
                    attributes={
                        "gen_ai.operation.name": "chat",
                        "gen_ai.system": "openai",
                        "gen_ai.request.model": endpoint.model,
                        "studyflow.llm.purpose": prompt.purpose,
                        "studyflow.llm.provider": endpoint.provider,
                        "url.full": f"{(endpoint.base_url or 'https://api.openai.com/v1').rstrip('/')}/chat/completions",
                    },
                ):
                    text, prompt_tokens, completion_tokens = await self._request(
                        endpoint, prompt, messages, output_type, on_text
                    )
            except openai.APIStatusError as exc:
                outcome = "rate_limited" if exc.status_code == 429 else f"http_{exc.status_code}"
                await self._record_failure(prompt, endpoint, started, outcome, exc, subject)
                failures.append(f"{endpoint.provider}: HTTP {exc.status_code}")
                if exc.status_code in FAILOVER_STATUSES or _is_exhaustion(exc):
                    wait = requested_wait(exc.response.headers, cap=self._retry_after_cap)
                    if wait is not None:
                        waits.append(wait)
                    continue
                refusals.append(_describe_refusal(endpoint, exc))
                if exc.status_code not in ENDPOINT_REFUSALS:
                    break
            except openai.APITimeoutError as exc:
                await self._record_failure(prompt, endpoint, started, "timeout", exc, subject)
                failures.append(f"{endpoint.provider}: timeout")
            except openai.APIConnectionError as exc:
                await self._record_failure(prompt, endpoint, started, "unreachable", exc, subject)
                failures.append(f"{endpoint.provider}: unreachable")
            else:
                return _Reply(text, endpoint, _elapsed_ms(started), prompt_tokens, completion_tokens)
        if refusals and len(refusals) == len(failures):
            raise LlmRequestRejectedError(f"{prompt.purpose}: {'; '.join(refusals)}")
        # The longest wait any provider asked for: the next attempt tries them all again.
        raise LlmUnavailableError(
            f"{prompt.purpose}: no LLM endpoint answered ({'; '.join(failures)})",
            retry_after=max(waits) if waits else None,
        )

    @property
    def _retry_after_cap(self) -> timedelta:
        return timedelta(seconds=self._settings.llm_retry_after_max_seconds)

    async def _request(
        self,
        endpoint: Endpoint,
        prompt: Prompt,
        messages: list[dict],
        output_type: type[BaseModel],
        on_text: TextListener | None = None,
    ) -> tuple[str, int | None, int | None]:
        """The reply's text and token counts (streamed to `on_text` when given)."""
        client = self._clients.get(endpoint.base_url, endpoint.api_key)
        s = self._settings
        schema = prompt.schema or output_type.model_json_schema()
        if s.llm_response_format == "json_object":
            response_format = {"type": "json_object", "schema": grammar_friendly(schema)}
        else:
            response_format = {"type": "json_schema", "json_schema": {"name": prompt.schema_name, "schema": schema}}
        optional: dict = {}
        if s.llm_max_tokens:
            optional["max_tokens"] = s.llm_max_tokens
        if s.llm_repeat_penalty:
            optional["extra_body"] = {"repeat_penalty": s.llm_repeat_penalty}
        arguments = dict(
            model=endpoint.model,
            messages=messages,
            temperature=prompt.temperature if prompt.temperature is not None else s.llm_temperature,
            response_format=response_format,
            **optional,
        )
        if on_text is None:
            response = await client.chat.completions.create(**arguments)
            usage = response.usage
            text = response.choices[0].message.content if response.choices else None
            return text or "", usage.prompt_tokens if usage else None, usage.completion_tokens if usage else None
        parts: list[str] = []
        usage = None
        stream = await client.chat.completions.create(**arguments, stream=True, stream_options={"include_usage": True})
        async with stream:  # a listener that raises still hands the connection back to the pool
            async for chunk in stream:
                usage = chunk.usage or usage
                delta = chunk.choices[0].delta.content if chunk.choices else None
                if delta:
                    parts.append(delta)
                    await on_text("".join(parts))
        return "".join(parts), usage.prompt_tokens if usage else None, usage.completion_tokens if usage else None

    async def _record_failure(
        self,
        prompt: Prompt,
        endpoint: Endpoint,
        started: float,
        outcome: str,
        exc: Exception,
        subject: CallSubject,
    ) -> None:
        await self._ledger.record(
            LedgerEntry(
                purpose=prompt.purpose,
                provider=endpoint.provider,
                model=endpoint.model,
                latency_ms=_elapsed_ms(started),
                outcome=outcome,
                prompt_version=prompt.version,
                error=_short(exc),
                subject_id=subject.subject_id,
                user_id=subject.user_id,
            )
        )


def _describe_refusal(endpoint: Endpoint, exc: openai.APIStatusError) -> str:
    hint = _REFUSAL_HINTS.get(exc.status_code, "the provider refused the request")
    return (
        f"{endpoint.provider} endpoint ({endpoint.model} at {endpoint.base_url}) answered HTTP "
        f"{exc.status_code}: {hint} ({_short(exc)[:200]})"
    )


def _is_exhaustion(exc: openai.APIStatusError) -> bool:
    text = str(exc).lower()
    return "resource exhausted" in text or "resource_exhausted" in text or "overloaded" in text


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _short(exc: Exception) -> str:
    return str(exc).replace("\n", " ")[:500]


def _strip_fences(text: str) -> str:
    """Some models wrap JSON in ``` fences despite the schema; the content is still the JSON."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        if stripped.rstrip().endswith("```"):
            stripped = stripped.rstrip()[:-3]
    return stripped.strip()


def _repair_request(error: Exception) -> str:
    """The one repair round: show the model what was wrong, ask for the corrected JSON only."""
    if isinstance(error, ValidationError):
        problem = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'root'}: {e['msg']}" for e in error.errors()[:10])
    else:
        problem = str(error)
    return (
        "Your previous reply could not be used: "
        f"{problem}. Reply again with only the corrected JSON object matching the schema."
    )
