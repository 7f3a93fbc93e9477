"""The one place that decides whether a learner's request may cost LLM calls: every path that can
cause one asks here first, with the kind of work it is. Two checks, in order:

- a rate limit per learner and kind of work (a token bucket in Postgres, so it holds across API
  instances; attempts are limited per quiz as well);
- the plan's monthly LLM budget (one counter row, kept by the ledger).

Over either, the work is refused (429 naming the limit, with Retry-After) or degraded to a path
that costs nothing, as its policy below says. The README states each path's policy."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from db.llm_spend import month_of, month_spend, next_month_start
from db.rate_limit import seconds_until_token, take_token
from services.actor import Actor
from services.errors import ServiceError
from studyflow.settings import Settings


class LlmWork(StrEnum):
    course = "course"  # an outline, then the notes of its topics
    notes = "notes"
    study_content = "study_content"
    source = "source"  # reading and embedding: no LLM call, but the same generation limit
    remediation = "remediation"
    suggestions = "suggestions"
    conversation = "conversation"
    question = "question"
    attempt = "attempt"  # a graded quiz attempt (may start remediation)
    goal = "goal"  # a new goal: meeting it starts a suggestions run (a workflow, LLM or not)
    session = "session"  # a tutoring session's analysis (one call per window) and its practice set
    grading = "grading"  # an attempt's free-text answers: over the limit or budget, the embedded grader only


class Allowance(StrEnum):
    llm = "llm"
    degraded = "degraded"  # do the work without the LLM (a template, the learner's history)


@dataclass(frozen=True)
class RateLimit:
    bucket: str
    burst: int
    per_minute: float
    what: str  # "generation requests", for the message


@dataclass(frozen=True)
class Policy:
    limit: RateLimit
    degrade_when_limited: bool
    checks_budget: bool
    degrade_over_budget: bool


def _policies(settings: Settings) -> dict[LlmWork, Policy]:
    generation = RateLimit(
        "generation", settings.rate_limit_burst, settings.rate_limit_per_minute, "generation requests"
    )
    return {
        LlmWork.course: Policy(generation, False, True, False),
        LlmWork.notes: Policy(generation, False, True, False),
        LlmWork.study_content: Policy(generation, False, True, False),
        LlmWork.source: Policy(generation, False, False, False),
        LlmWork.remediation: Policy(
            RateLimit("remediation", settings.remediation_rate_burst, settings.remediations_per_hour / 60, "plans"),
            True,
            True,
            True,
        ),
        LlmWork.suggestions: Policy(
            RateLimit("suggestions", settings.suggestions_burst, settings.suggestions_per_day / 1440, "suggestions"),
            True,
            True,
            True,
        ),
        LlmWork.conversation: Policy(
            RateLimit(
                "conversation", settings.conversation_rate_burst, settings.conversations_per_hour / 60, "new chats"
            ),
            False,
            True,
            False,
        ),
        LlmWork.question: Policy(
            RateLimit("question", settings.chat_rate_burst, settings.chat_rate_per_minute, "questions"),
            False,
            True,
            False,
        ),
        # A session is analysed whatever the allowance: beyond the rate or the budget, from the
        # transcript alone (the extractive analysis, marked as such), never refused — the tutor
        # needs the record of the session either way.
        LlmWork.session: Policy(
            RateLimit("session", settings.sessions_burst, settings.sessions_per_day / 1440, "session analyses"),
            True,
            True,
            True,
        ),
        LlmWork.grading: Policy(
            RateLimit("grading", settings.grading_rate_burst, settings.gradings_per_hour / 60, "LLM gradings"),
            True,
            True,
            True,
        ),
        # Not an LLM call itself, but each goal met starts a suggestions workflow: without a limit
        # a client looping "set a goal, mark it met" started a workflow per request (`make abuse`).
        LlmWork.goal: Policy(
            RateLimit("goals", settings.goal_rate_burst, settings.goals_per_hour / 60, "new goals"),
            False,
            False,
            False,
        ),
        LlmWork.attempt: Policy(
            RateLimit("attempt", settings.quiz_attempts_burst, settings.quiz_attempts_per_hour / 60, "attempts"),
            False,
            False,
            False,
        ),
    }


async def allow(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    work: LlmWork,
    *,
    per: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Allowance:
    """`per` narrows the rate limit to one subject (attempts: one bucket per quiz). Takes a token
    in the caller's transaction: a refused request's token is rolled back with it."""
    policy = _policies(settings)[work]
    limit = policy.limit
    bucket = f"{limit.bucket}:{per}" if per else limit.bucket
    wait = await take_token(session, actor.id, bucket, burst=limit.burst, per_minute=limit.per_minute)
    if wait is not None:
        if policy.degrade_when_limited:
            return Allowance.degraded
        raise _rate_limited(limit, wait)
    if policy.checks_budget:
        spent = await month_spend(session, actor.id, month_of(settings.day_timezone, now))
        if spent >= settings.llm_budget(actor.plan):
            if policy.degrade_over_budget:
                return Allowance.degraded
            raise budget_exhausted(settings, actor, spent, now)
    return Allowance.llm


async def refusal_now(session: AsyncSession, settings: Settings, actor: Actor, work: LlmWork) -> ServiceError | None:
    """The 429 that `allow` would answer now for `work`'s rate limit, taking no token (None when
    it would not refuse for the rate). A route asks before it reads a large body: the bucket only
    refills with time, so a learner without a token now would be refused after the upload too;
    `allow` still decides for the requests this lets through."""
    policy = _policies(settings)[work]
    if policy.degrade_when_limited:
        return None
    limit = policy.limit
    wait = await seconds_until_token(session, actor.id, limit.bucket, burst=limit.burst, per_minute=limit.per_minute)
    return None if wait is None else _rate_limited(limit, wait)


def _rate_limited(limit: RateLimit, wait: int) -> ServiceError:
    return ServiceError(
        429,
        f"too many {limit.what}: at most {limit.burst} at once and {_rate(limit.per_minute)}; try again in {wait} s",
        headers={"Retry-After": str(wait)},
    )


def budget_exhausted(settings: Settings, actor: Actor, spent: Decimal, now: datetime | None = None) -> ServiceError:
    budget = settings.llm_budget(actor.plan)
    renews = next_month_start(settings.day_timezone, now)
    wait = max(1, int((renews - (now or datetime.now(ZoneInfo(settings.day_timezone)))).total_seconds()))
    return ServiceError(
        429,
        f"monthly LLM budget reached: ${spent:.2f} of the ${budget:.2f} included in the {actor.plan} plan "
        f"is spent; it renews on {renews:%B} 1",
        code="budget_exhausted",
        headers={"Retry-After": str(wait)},
    )


def _rate(per_minute: float) -> str:
    if per_minute >= 1:
        return f"{per_minute:g} per minute"
    if per_minute * 60 >= 1:
        return f"{per_minute * 60:g} per hour"
    return f"{per_minute * 1440:g} per day"
