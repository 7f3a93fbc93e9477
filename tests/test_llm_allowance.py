"""Every path that can spend LLM calls asks one place first (services/llm_allowance.py): over its
rate or the monthly budget the work is refused (429 naming the limit) or done without the LLM."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from sqlalchemy import func, select

from db.llm_spend import add_spend, month_of
from db.models import LlmCall, LlmMonthlySpend, RemediationPlan, User
from tests.support.courses import unique_topic
from tests.support.polling import poll_until
from tests.support.study import generated


async def _attempt(api, user, quiz, *, right: bool = False):
    answers = {q["id"]: (1 if right else 0) for q in quiz["questions"]}
    return await api.http.post(f"/v1/quizzes/{quiz['id']}/attempts", json={"answers": answers}, headers=api.auth(user))


async def _plan(api, user, plan_id: str) -> dict:
    async def fetch():
        return (await api.http.get(f"/v1/remediation/{plan_id}", headers=api.auth(user))).json()

    return await poll_until(fetch, lambda p: p["status"] != "generating", timeout=30)


async def test_attempts_on_one_quiz_are_limited(stack_with, user_a):
    api = await stack_with(quiz_attempts_burst=2, quiz_attempts_per_hour=1)
    quiz = await generated(api, user_a, unique_topic("attempt-limit"), "quiz")
    statuses = [(await _attempt(api, user_a, quiz, right=True)).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    refused = await _attempt(api, user_a, quiz, right=True)
    assert "too many attempts: at most 2 at once and 1 per hour" in refused.json()["error"]["message"]
    assert int(refused.headers["Retry-After"]) > 0
    other = await generated(api, user_a, unique_topic("another-quiz"), "quiz")
    assert (await _attempt(api, user_a, other, right=True)).status_code == 201  # per quiz


async def test_remediation_beyond_its_rate_is_built_from_the_quiz_without_the_llm(
    stack_with, session_factory, llm_server, user_a
):
    api = await stack_with(remediation_rate_burst=1, remediations_per_hour=1)
    topic = unique_topic("plans")
    quiz = await generated(api, user_a, topic, "quiz")
    first, second = [(await _attempt(api, user_a, quiz)).json() for _ in range(2)]
    written, template = (
        await _plan(api, user_a, first["remediation_plan_id"]),
        await _plan(api, user_a, second["remediation_plan_id"]),
    )
    assert written["status"] == template["status"] == "completed"
    async with session_factory() as session:
        engines = {
            str(p.id): p.engine
            for p in await session.scalars(
                select(RemediationPlan).where(
                    RemediationPlan.id.in_(
                        [uuid.UUID(first["remediation_plan_id"]), uuid.UUID(second["remediation_plan_id"])]
                    )
                )
            )
        }
        plan_calls = await session.scalar(
            select(func.count()).where(
                LlmCall.purpose == "remediation", LlmCall.subject_id == second["remediation_plan_id"]
            )
        )
    assert engines == {first["remediation_plan_id"]: "llm", second["remediation_plan_id"]: "template"}
    assert plan_calls == 0
    section = template["topics"][0]
    assert section["practice_questions"], "the missed questions come back to practise"
    assert {q["question"] for q in section["practice_questions"]} <= {q["question"] for q in quiz["questions"]}


async def test_over_the_budget_a_plan_is_built_from_the_quiz_and_a_question_is_refused(
    stack_with, session_factory, user_a
):
    api = await stack_with(free_monthly_llm_budget_usd=Decimal("0.01"))
    quiz = await generated(api, user_a, unique_topic("budget"), "quiz")
    async with session_factory.begin() as session:
        user_id = await session.scalar(select(User.id).where(User.clerk_id == user_a))
        await add_spend(session, user_id, month_of(api.settings.day_timezone), Decimal("5"))
    attempt = (await _attempt(api, user_a, quiz)).json()
    plan = await _plan(api, user_a, attempt["remediation_plan_id"])
    assert plan["status"] == "completed"
    async with session_factory() as session:
        row = await session.get(RemediationPlan, uuid.UUID(attempt["remediation_plan_id"]))
    assert row.engine == "template"
    chat = await api.http.post("/v1/conversations", json={}, headers=api.auth(user_a))
    assert chat.status_code == 429 and chat.json()["error"]["code"] == "budget_exhausted"


async def test_new_chats_and_questions_are_rate_limited(stack_with, user_a):
    api = await stack_with(
        conversation_rate_burst=2, conversations_per_hour=1, chat_rate_burst=1, chat_rate_per_minute=1
    )
    made = [(await api.http.post("/v1/conversations", json={}, headers=api.auth(user_a))) for _ in range(3)]
    assert [r.status_code for r in made] == [201, 201, 429]
    assert "too many new chats" in made[2].json()["error"]["message"]
    conversation = made[0].json()["id"]
    asked = [
        await api.http.post(
            f"/v1/conversations/{conversation}/messages", json={"question": f"What is {n}?"}, headers=api.auth(user_a)
        )
        for n in range(2)
    ]
    assert [r.status_code for r in asked] == [202, 429]


async def test_goals_completed_in_a_loop_get_suggestions_from_history_beyond_the_allowance(
    stack_with, temporal_env, session_factory, llm_server, user_a
):
    api = await stack_with(suggestions_burst=1, suggestions_per_day=1)
    goal_ids = []
    for _ in range(3):
        goal = (
            await api.http.post(
                "/v1/goals", json={"kind": "daily_reviews", "target": 5, "days": 3}, headers=api.auth(user_a)
            )
        ).json()
        completed = await api.http.post(f"/v1/goals/{goal['id']}/complete", headers=api.auth(user_a))
        assert completed.status_code == 200
        goal_ids.append(goal["id"])
    results = [
        await temporal_env.client.get_workflow_handle(f"subject-suggestions-{goal_id}").result() for goal_id in goal_ids
    ]
    assert results[1:] == ["suggested_from_history", "suggested_from_history"]
    async with session_factory() as session:
        calls = await session.scalar(
            select(func.count()).where(LlmCall.purpose == "subject_suggestions", LlmCall.subject_id.in_(goal_ids[1:]))
        )
    assert calls == 0


async def test_the_month_counter_equals_the_ledger_after_concurrent_calls(stack_with, session_factory, user_a):
    """Kept by the ledger in the transaction of each priced row (x = x + n), so concurrent calls
    for one learner add up exactly."""
    prices = {"primary-model": {"input_per_million_usd": 150, "output_per_million_usd": 600}}
    api = await stack_with(llm_prices=prices)
    quizzes = await asyncio.gather(*(generated(api, user_a, unique_topic(f"spend-{n}"), "quiz") for n in range(4)))
    assert len(quizzes) == 4
    async with session_factory() as session:
        user_id = await session.scalar(select(User.id).where(User.clerk_id == user_a))
        ledger = await session.scalar(select(func.sum(LlmCall.cost_usd)).where(LlmCall.user_id == user_id))
        calls = await session.scalar(select(func.count()).where(LlmCall.user_id == user_id))
        counter = await session.get(LlmMonthlySpend, (user_id, month_of(api.settings.day_timezone)))
    assert ledger > 0
    assert (counter.cost_usd, counter.calls) == (ledger, calls)
