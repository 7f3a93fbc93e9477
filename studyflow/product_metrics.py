"""The product's own Prometheus series, shared by the processes that record them.

Conventions: units in names, `_total` counters, and only bounded labels (purpose, provider,
outcome, tier: never a learner, a course or a topic)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

LLM_CALLS = Counter(
    "studyflow_llm_calls_total",
    "LLM calls by purpose, provider and outcome (ok, rate_limited, http_NNN, timeout, invalid_json, ...)",
    ["purpose", "provider", "outcome"],
)
LLM_CALL_SECONDS = Histogram(
    "studyflow_llm_call_duration_seconds",
    "Time one LLM HTTP call took, whatever its outcome",
    ["purpose", "provider"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80),
)
LLM_COST = Counter(
    "studyflow_llm_cost_usd_total",
    "What LLM calls cost, priced from LLM_PRICES when the ledger row is written",
    ["purpose", "provider"],
)
LLM_TOKENS = Counter(
    "studyflow_llm_tokens_total",
    "Tokens the LLM read (prompt) and wrote (completion)",
    ["purpose", "provider", "kind"],
)
CACHE_LOOKUPS = Counter(
    "studyflow_cache_lookups_total",
    "Semantic-cache lookups for study content by result: exact, semantic, near (a near hit kept as a fallback) or miss",
    ["result"],
)
RETRIEVAL_SERVED = Counter(
    "studyflow_retrieval_served_total",
    "Retrieval requests by the tier that served them (sources_strict ... owner_courses, or none)",
    ["tier"],
)
NUDGES_SENT = Counter(
    "studyflow_nudges_sent_total",
    "Nudges written and delivered, by reason (streak_at_risk, few_tutoring_sessions, inactive, "
    "new_learner, goal_behind) and how the message was made (llm, template)",
    ["reason", "source"],
)

# Bounded label sets are exported from the start (at zero), so dashboards and alerts see a series
# before its first event rather than "no data".
LLM_PURPOSES = (
    "course_outline",
    "topic_notes",
    "flashcards",
    "quiz",
    "flashcards_repair",
    "quiz_repair",
    "remediation",
    "nudge",
    "tutor_answer",
    "subject_suggestions",
)
for _purpose in LLM_PURPOSES:
    for _provider in ("primary", "fallback"):
        LLM_COST.labels(_purpose, _provider)
for _result in ("exact", "semantic", "near", "miss"):
    CACHE_LOOKUPS.labels(_result)
for _reason in ("streak_at_risk", "inactive", "few_tutoring_sessions", "new_learner", "goal_behind"):
    for _source in ("llm", "template"):
        NUDGES_SENT.labels(_reason, _source)
