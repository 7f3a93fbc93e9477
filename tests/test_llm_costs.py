"""LLM spend: every ledger row priced from LLM_PRICES, a learner's month shown on /v1/me, a plan's
monthly budget enforced before anything starts, and `studyflow costs` reporting it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cli.costs import cost_report
from cli.main import main as cli
from db.models import Course, LlmCall, User
from studyflow.llm_prices import LlmPrice
from tests.support.courses import create_course, unique_topic, wait_for_course

# Dear enough that a handful of scripted tokens cost real money.
PRICES = {"primary-model": LlmPrice(input_per_million_usd=Decimal(1000), output_per_million_usd=Decimal(4000))}


async def _user_calls(session_factory, clerk_id: str) -> list[LlmCall]:
    async with session_factory() as session:
        user_id = await session.scalar(select(User.id).where(User.clerk_id == clerk_id))
        return list(await session.scalars(select(LlmCall).where(LlmCall.user_id == user_id)))


async def test_each_call_is_priced_and_the_learner_sees_the_months_spend(stack_with, session_factory, user_a):
    api = await stack_with(llm_prices=PRICES)
    accepted = await create_course(api, user_a, unique_topic("priced"))
    await wait_for_course(api, user_a, accepted["course_id"])
    [call] = await _user_calls(session_factory, user_a)
    assert call.purpose == "course_outline" and call.prompt_tokens > 0
    expected = (Decimal(call.prompt_tokens) * 1000 + Decimal(call.completion_tokens) * 4000) / 1_000_000
    assert call.cost_usd == expected.quantize(Decimal("0.000001"))
    spend = (await api.http.get("/v1/me", headers=api.auth(user_a))).json()["llm_spend"]
    assert spend["spent_this_month_usd"] == pytest.approx(float(call.cost_usd))
    assert spend["budget_usd"] == 0.5 and spend["renews_on"].endswith("-01")


async def test_a_model_without_a_price_costs_nothing(api, session_factory, user_a):
    accepted = await create_course(api, user_a, unique_topic("unpriced"))
    await wait_for_course(api, user_a, accepted["course_id"])
    [call] = await _user_calls(session_factory, user_a)
    assert call.cost_usd == 0


async def test_over_the_monthly_budget_nothing_starts(stack_with, session_factory, llm_server, user_a):
    api = await stack_with(llm_prices=PRICES, free_monthly_llm_budget_usd=Decimal("0.01"))
    first = await create_course(api, user_a, unique_topic("first"))
    course = await wait_for_course(api, user_a, first["course_id"])
    spent = sum(c.cost_usd for c in await _user_calls(session_factory, user_a))
    assert spent >= Decimal("0.01"), "the scripted outline should use up the small budget"

    topic = unique_topic("over budget")
    refused = await api.http.post("/v1/courses", json={"topic": topic}, headers=api.auth(user_a))
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "budget_exhausted"
    assert error["message"].startswith(
        f"monthly LLM budget reached: ${spent:.2f} of the $0.01 included in the free plan"
    )
    assert int(refused.headers["Retry-After"]) > 0
    content = await api.http.post(
        f"/v1/courses/{course['id']}/study-content", json={"type": "quiz"}, headers=api.auth(user_a)
    )
    assert content.status_code == 429
    async with session_factory() as session:
        user = await session.scalar(select(User).where(User.clerk_id == user_a))
        courses = await session.scalar(select(func.count()).select_from(Course).where(Course.owner_id == user.id))
    assert courses == 1 and user.courses_created_today == 1 and user.study_content_today == 0
    assert llm_server.calls(topic) == []


async def test_the_costs_command_reports_spend_and_the_caches_saving(stack_with, database_url, capsys, user_a):
    api = await stack_with(llm_prices=PRICES)
    accepted = await create_course(api, user_a, unique_topic("report"))
    await wait_for_course(api, user_a, accepted["course_id"])
    report = cost_report(database_url, date.today())
    assert "by purpose:" in report and "by model:" in report and "by plan:" in report
    purpose_lines = report.split("by purpose:")[1].split("by model:")[0]
    assert "course_outline" in purpose_lines
    assert "primary-model" in report.split("by model:")[1]
    assert "saved by the cache (calls avoided × their average cost):" in report

    with pytest.raises(SystemExit) as exited:
        cli(["costs", "--since", "2026-13-01"])
    assert exited.value.code == 2
    assert "'2026-13-01' is not a date like 2026-11-01" in capsys.readouterr().err
