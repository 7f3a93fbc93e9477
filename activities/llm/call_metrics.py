"""Every LLM call the ledger writes is also counted for Prometheus (one place sees them all)."""

from __future__ import annotations

from decimal import Decimal

from studyflow.product_metrics import LLM_CALL_SECONDS, LLM_CALLS, LLM_COST, LLM_TOKENS


def count_llm_call(
    purpose: str,
    provider: str,
    outcome: str,
    latency_ms: int,
    prompt_tokens: int | None,
    completion_tokens: int | None,
    cost_usd: Decimal = Decimal(0),
) -> None:
    if outcome == "cache_hit":  # served from the cache: no call was made (counted as a cache lookup)
        return
    LLM_CALLS.labels(purpose, provider, outcome).inc()
    LLM_CALL_SECONDS.labels(purpose, provider).observe(latency_ms / 1000)
    if cost_usd:
        LLM_COST.labels(purpose, provider).inc(float(cost_usd))
    if prompt_tokens:
        LLM_TOKENS.labels(purpose, provider, "prompt").inc(prompt_tokens)
    if completion_tokens:
        LLM_TOKENS.labels(purpose, provider, "completion").inc(completion_tokens)
