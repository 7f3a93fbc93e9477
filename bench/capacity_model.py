"""From measured unit costs to what a population needs: the arithmetic of bench/capacity.py,
kept apart from the measuring so its assumptions are stated in one place and tested.

Every assumption about learners (how many are active, what they do, when) is a named constant
below; change one and the table follows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

POPULATIONS = (10_000, 100_000, 1_000_000)

# Learners active on a school day (a tutoring centre's or a school's enrolled learners).
ACTIVE_SHARE = 0.30
# The busiest hour carries this share of a day's work (lessons and homework cluster: 15 % is
# about twice a flat 8-hour day's share).
PEAK_HOUR_SHARE = 0.15
# Plan CPU for this utilisation at the peak: headroom for bursts inside the hour and for a node lost.
TARGET_UTILISATION = 0.65
DAYS_PER_MONTH = 30
TOPICS_PER_COURSE = 12  # 3 chapters of 3-5 topics (OUTLINE_*); background generation writes them all

# Units of work per active learner per day.
DAILY_MIX = {
    "course": 0.2,  # a new course every fifth active day
    "notes": 0.2 * TOPICS_PER_COURSE,  # every topic of it, pre-generated in the background
    "quiz": 0.2,  # one quiz per course (a course has one quiz row)
    "attempt": 2.0,
    "review": 20.0,  # flashcard reviews
    "chat": 3.0,  # tutor questions
    "session analysis": 0.1,  # a tutoring session's transcript every tenth active day
    "get": 150.0,  # page views and polls
}

# The scripted model's replies are short; real replies are not. Output tokens per unit are an
# assumption (gpt-4o-mini-sized answers for what each prompt asks), input tokens are measured.
ASSUMED_OUTPUT_TOKENS = {
    "course": 700,  # an outline: 3 chapters, 9-15 topics with summaries
    "notes": 1500,  # explanation, key points, example, interview questions
    "quiz": 1200,  # 8 questions with options and explanations
    "attempt": 0,
    "review": 0,
    "chat": 350,
    "session analysis": 3 * 500,  # three analysis calls over the transcript
    "get": 0,
}

# Temporal Cloud: a namespace's default limit. Self-hosted: Temporal publishes no per-shard
# throughput; a shard applies its workflows' updates one at a time, each a persistence write of a
# few milliseconds, so 100 actions/s per shard is used here as a conservative working figure.
CLOUD_NAMESPACE_APS = 500
SELF_HOSTED_ACTIONS_PER_SHARD = 100


@dataclass(frozen=True)
class UnitCost:
    """What one unit of work cost on the bench stack (means over the phase's units)."""

    name: str
    api_cpu_ms: float
    worker_cpu_ms: float
    temporal_cpu_ms: float
    postgres_cpu_ms: float
    commits: float
    rows_written: float
    wal_bytes: float
    db_bytes: float
    object_bytes: float
    temporal_actions: float
    llm_calls: float
    prompt_tokens: float
    estimated_from: str | None = None  # how an unmeasured unit was composed


@dataclass
class Need:
    learners: int
    active: int
    api_cores: float
    worker_cores: float
    postgres_cores: float
    temporal_cores: float
    peak_actions_per_second: float
    actions_per_month: float
    writes_per_second: float
    commits_per_second: float
    storage_gb_per_month: float
    uploads_gb_per_month: float
    llm_usd_per_month: Decimal
    shards_needed: int = field(init=False)

    def __post_init__(self) -> None:
        self.shards_needed = max(1, math.ceil(self.peak_actions_per_second / SELF_HOSTED_ACTIONS_PER_SHARD))

    @property
    def cloud_verdict(self) -> str:
        share = self.peak_actions_per_second / CLOUD_NAMESPACE_APS
        return f"{share:.0%} of the default {CLOUD_NAMESPACE_APS} APS" + (
            " (over: raise the limit or provision capacity)" if share > 1 else ""
        )


def llm_usd(costs: dict[str, UnitCost], unit: str, input_per_million: Decimal, output_per_million: Decimal) -> Decimal:
    cost = costs[unit]
    tokens_in = Decimal(str(cost.prompt_tokens))
    tokens_out = Decimal(ASSUMED_OUTPUT_TOKENS.get(unit, 0)) if cost.llm_calls else Decimal(0)
    return (tokens_in * input_per_million + tokens_out * output_per_million) / Decimal(1_000_000)


def need_for(
    learners: int, costs: dict[str, UnitCost], input_per_million: Decimal, output_per_million: Decimal
) -> Need:
    active = learners * ACTIVE_SHARE
    daily = {unit: active * per_learner for unit, per_learner in DAILY_MIX.items()}
    peak = {unit: count * PEAK_HOUR_SHARE / 3600 for unit, count in daily.items()}

    def at_peak(field_name: str) -> float:
        return sum(rate * getattr(costs[unit], field_name) for unit, rate in peak.items())

    def cores(field_name: str) -> float:
        return at_peak(field_name) / 1000 / TARGET_UTILISATION

    llm_daily = sum(
        Decimal(str(count)) * llm_usd(costs, unit, input_per_million, output_per_million)
        for unit, count in daily.items()
    )
    return Need(
        learners=learners,
        active=int(active),
        api_cores=cores("api_cpu_ms"),
        worker_cores=cores("worker_cpu_ms"),
        postgres_cores=cores("postgres_cpu_ms"),
        temporal_cores=cores("temporal_cpu_ms"),
        peak_actions_per_second=at_peak("temporal_actions"),
        actions_per_month=sum(count * costs[u].temporal_actions for u, count in daily.items()) * DAYS_PER_MONTH,
        writes_per_second=at_peak("rows_written"),
        commits_per_second=at_peak("commits"),
        storage_gb_per_month=sum(count * costs[u].db_bytes for u, count in daily.items()) * DAYS_PER_MONTH / 1e9,
        uploads_gb_per_month=sum(count * costs[u].object_bytes for u, count in daily.items()) * DAYS_PER_MONTH / 1e9,
        llm_usd_per_month=llm_daily * DAYS_PER_MONTH,
    )


def session_analysis(transcript: UnitCost, chat: UnitCost, llm_calls: int = 3) -> UnitCost:
    """Not built yet: a transcript's ingestion plus `llm_calls` calls shaped like a tutor answer
    (retrieval, one model call, a persisted reply) — an estimate from measured parts."""

    def combine(name: str) -> float:
        return getattr(transcript, name) + llm_calls * getattr(chat, name)

    fields = [f for f in UnitCost.__dataclass_fields__ if f not in ("name", "estimated_from")]
    return UnitCost(
        name="session analysis",
        **{f: combine(f) for f in fields},
        estimated_from=f"transcript ingestion + {llm_calls} × chat question",
    )
