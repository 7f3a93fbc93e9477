"""Course generation end to end: API → Temporal workflow → scripted LLM → Postgres."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack

from sqlalchemy import func, select

from db.models import Course, Topic, User
from studyflow.engines import BUNDLED_MODEL
from tests.support.app import make_settings, open_api_client
from tests.support.courses import create_course, ready_course, unique_topic, wait_for_course
from tests.support.ledger import ledger_rows
from tests.support.scripted_openai import Reply
from worker import build_activities, build_workers


async def test_request_answers_202_without_any_llm_call_and_the_worker_makes_it_ready(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    # A queue no worker polls yet: whatever happens during the request cannot be the worker's doing.
    settings = make_settings(database_url, llm_server, tmp_path)
    topic = unique_topic("no-llm-in-request")
    async with AsyncExitStack() as stack:
        api = await open_api_client(stack, settings, temporal_env)
        accepted = await create_course(api, user_a, topic, course_type="PRACTICAL", difficulty=" Intermediate ")
        assert accepted["status"] == "generating"
        assert accepted["status_url"] == f"/v1/courses/{accepted['course_id']}"
        assert accepted["workflow_id"] == f"course-generation-{accepted['course_id']}"
        await asyncio.sleep(0.5)
        assert llm_server.calls(topic) == []
        polled = (await api.http.get(accepted["status_url"], headers=api.auth(user_a))).json()
        assert polled["status"] == "generating" and polled["chapters"] == []

        for worker in build_workers(
            temporal_env.client, settings, build_activities(settings, session_factory, temporal_env.client)
        ):
            await stack.enter_async_context(worker)
        course = await wait_for_course(api, user_a, accepted["course_id"])

    assert course["course_type"] == "practical" and course["difficulty"] == "intermediate"
    assert len(course["chapters"]) == settings.outline_chapters == 3
    for chapter in course["chapters"]:
        assert settings.outline_min_topics <= len(chapter["topics"]) <= settings.outline_max_topics
        assert all(t["status"] == "pending" for t in chapter["topics"])
    assert course["topics_total"] == sum(len(c["topics"]) for c in course["chapters"])
    assert course["outline_source"] == "llm" and course["outline_model"] == "primary-model"
    assert len(llm_server.calls(topic, ok=True)) == 1


async def test_outline_is_trimmed_and_padded_to_the_fixed_shape(api, llm_server, user_a):
    topic = unique_topic("shape")
    # (Titles like "T1" would be the prompt's topic refs echoed, which the outline checks reject.)
    many = [{"title": f"Part {i}", "summary": ""} for i in range(9)]
    llm_server.on(
        topic,
        [
            Reply.json(
                {
                    "title": "Shapes",
                    "chapters": [
                        {"title": "Big", "topics": many},
                        {"title": "Small", "topics": [{"title": "Only one"}]},
                        {"title": "Dupes", "topics": [{"title": "Part 1"}, {"title": "part 1"}, {"title": "New"}]},
                        {"title": "Extra chapter", "topics": many},
                    ],
                }
            )
        ],
    )
    accepted = await create_course(api, user_a, topic)
    course = await wait_for_course(api, user_a, accepted["course_id"])
    sizes = [len(c["topics"]) for c in course["chapters"]]
    assert [c["title"] for c in course["chapters"]] == ["Big", "Small", "Dupes"]
    assert sizes == [5, 3, 3]
    titles = [t["title"].casefold() for c in course["chapters"] for t in c["topics"]]
    assert len(titles) == len(set(titles)), "topic titles must be distinct across the course"


async def test_primary_rate_limit_is_served_by_the_fallback_and_recorded(api, llm_server, session_factory, user_a):
    topic = unique_topic("fallback")
    llm_server.on(topic, [Reply.error(429)], provider="primary")
    accepted = await create_course(api, user_a, topic)
    course = await wait_for_course(api, user_a, accepted["course_id"])
    assert course["outline_source"] == "llm" and course["outline_model"] == "fallback-model"
    rows = await ledger_rows(session_factory, accepted["course_id"])
    assert [(r.provider, r.outcome) for r in rows] == [("primary", "rate_limited"), ("fallback", "ok")]


async def test_llm_failing_on_every_attempt_is_retried_then_the_manual_outline_is_used(
    api, llm_server, session_factory, user_a
):
    topic = unique_topic("all-fail")
    llm_server.on(topic, [Reply.error(503)], repeat_last=True)
    accepted = await create_course(api, user_a, topic)
    course = await wait_for_course(api, user_a, accepted["course_id"])

    assert course["outline_source"] == "fallback" and course["outline_model"] is None
    assert "no LLM endpoint answered" in course["error"]
    assert len(course["chapters"]) == 3 and all(len(c["topics"]) >= 3 for c in course["chapters"])
    rows = await ledger_rows(session_factory, accepted["course_id"])
    # Each Temporal attempt tries primary then fallback.
    attempts = api.settings.llm_max_attempts
    assert [r.provider for r in rows] == ["primary", "fallback"] * attempts
    assert all(r.outcome == "http_503" for r in rows)


async def test_the_bundled_model_is_asked_twice_not_four_times_before_the_manual_outline(
    stack_with, llm_server, session_factory, user_a
):
    api = await stack_with(openai_model=BUNDLED_MODEL)
    topic = unique_topic("bundled-fails")
    llm_server.on(topic, [Reply.error(503)], repeat_last=True)
    accepted = await create_course(api, user_a, topic)
    course = await wait_for_course(api, user_a, accepted["course_id"])
    assert course["outline_source"] == "fallback"
    rows = await ledger_rows(session_factory, accepted["course_id"])
    assert api.settings.llm_max_attempts > 2, "the bundled cap, not the setting, must be what stops it"
    assert [r.provider for r in rows] == ["primary", "fallback"] * 2


async def test_a_providers_retry_after_delays_the_next_temporal_attempt(api, llm_server, session_factory, user_a):
    topic = unique_topic("retry-after")
    llm_server.on(topic, [Reply.error(429, "slow down", headers={"Retry-After": "2"})])
    llm_server.on(topic, [Reply.error(429, "slow down", headers={"Retry-After": "2"})])
    accepted = await create_course(api, user_a, topic)
    course = await wait_for_course(api, user_a, accepted["course_id"])
    assert course["outline_source"] == "llm"
    rows = await ledger_rows(session_factory, accepted["course_id"])
    assert [(r.provider, r.outcome) for r in rows] == [
        ("primary", "rate_limited"),
        ("fallback", "rate_limited"),
        ("primary", "ok"),
    ]
    calls = llm_server.calls(topic)
    # The retry policy alone would wait 0.05 s (LLM_RETRY_INITIAL_SECONDS in tests).
    assert calls[2].arrived_at - calls[1].at >= 1.9


async def test_a_rejected_api_key_fails_fast_instead_of_burning_the_retries(api, llm_server, session_factory, user_a):
    topic = unique_topic("bad-key")
    llm_server.on(topic, [Reply.error(401, "Incorrect API key provided")], repeat_last=True)
    accepted = await create_course(api, user_a, topic)
    course = await wait_for_course(api, user_a, accepted["course_id"])
    assert course["outline_source"] == "fallback"
    assert "HTTP 401: the API key was refused" in course["error"]
    rows = await ledger_rows(session_factory, accepted["course_id"])
    assert [r.provider for r in rows] == ["primary", "fallback"], "one Temporal attempt, not LLM_MAX_ATTEMPTS"


async def test_malformed_outline_json_is_a_parse_failure_not_a_transport_failure(
    api, llm_server, session_factory, user_a
):
    topic = unique_topic("malformed")
    llm_server.on(topic, [Reply.text("{'chapters': oops")])
    accepted = await create_course(api, user_a, topic)
    course = await wait_for_course(api, user_a, accepted["course_id"])
    assert course["outline_source"] == "llm"
    outcomes = [r.outcome for r in await ledger_rows(session_factory, accepted["course_id"])]
    assert outcomes == ["invalid_json", "ok"]


async def test_ready_course_extends_the_learner_streak_once(api, session_factory, user_a):
    await ready_course(api, user_a)
    await ready_course(api, user_a)
    stats = (await api.http.get("/v1/me/stats", headers=api.auth(user_a))).json()
    assert stats["streak_current"] == 1 and stats["streak_longest"] == 1
    assert stats["last_active_date"] is not None
    assert stats["courses_created_today"] == 2


async def test_invalid_input_is_rejected_naming_the_field(api, user_a):
    cases = [
        ({"topic": "Rust", "course_type": "cooking-show"}, "course_type"),
        ({"topic": "  ab  "}, "topic"),
        ({"topic": "Rust", "difficulty": "expert+"}, "difficulty"),
        ({"topic": "Rust", "preferences": {"colour": "blue"}}, "preferences.colour"),
        ({"course_type": "practical"}, "topic"),
    ]
    for body, field in cases:
        response = await api.http.post("/v1/courses", json=body, headers=api.auth(user_a))
        assert response.status_code == 422, body
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert any(f["field"] == field for f in error["fields"]), (field, error)
    stats = (await api.http.get("/v1/me/stats", headers=api.auth(user_a))).json()
    assert stats["courses_created_today"] == 0, "rejected requests must not consume quota"


async def test_concurrent_requests_never_exceed_the_daily_quota(
    database_url, llm_server, tmp_path, temporal_env, worker, session_factory, user_a
):
    quota = 3
    settings = make_settings(database_url, llm_server, tmp_path, free_courses_per_day=quota)
    async with AsyncExitStack() as stack:
        api = await open_api_client(stack, settings, temporal_env)
        await api.http.get("/v1/me/stats", headers=api.auth(user_a))  # provision the user first
        responses = await asyncio.gather(
            *[
                api.http.post("/v1/courses", json={"topic": unique_topic("quota")}, headers=api.auth(user_a))
                for _ in range(20)
            ]
        )
    codes = sorted(r.status_code for r in responses)
    assert codes == [202] * quota + [429] * (20 - quota)
    rejected = next(r for r in responses if r.status_code == 429)
    assert int(rejected.headers["Retry-After"]) > 0
    assert rejected.json()["error"]["code"] == "rate_limited"
    async with session_factory() as session:
        owner = await session.scalar(select(User.id).where(User.clerk_id == user_a))
        assert await session.scalar(select(func.count()).where(Course.owner_id == owner)) == quota


async def test_another_users_course_and_topic_answer_404(api, user_a, user_b):
    course = await ready_course(api, user_a)
    topic_id = course["chapters"][0]["topics"][0]["id"]
    for method, path in [
        ("GET", f"/v1/courses/{course['id']}"),
        ("GET", f"/v1/courses/{course['id']}/progress"),
        ("DELETE", f"/v1/courses/{course['id']}"),
        ("GET", f"/v1/topics/{topic_id}"),
        ("POST", f"/v1/topics/{topic_id}/notes"),
    ]:
        response = await api.http.request(method, path, headers=api.auth(user_b))
        assert response.status_code == 404, (method, path, response.text)
    assert (await api.http.get(f"/v1/courses/{course['id']}", headers=api.auth(user_a))).status_code == 200


async def test_list_is_paginated_and_shows_only_own_courses(api, user_a, user_b):
    mine = [await create_course(api, user_a, unique_topic("list")) for _ in range(3)]
    await create_course(api, user_b, unique_topic("theirs"))
    first = (await api.http.get("/v1/courses?limit=2", headers=api.auth(user_a))).json()
    second = (await api.http.get("/v1/courses?limit=2&offset=2", headers=api.auth(user_a))).json()
    assert first["total"] == 3 and len(first["items"]) == 2 and len(second["items"]) == 1
    listed = {c["id"] for c in first["items"] + second["items"]}
    assert listed == {m["course_id"] for m in mine}
    bad = await api.http.get("/v1/courses?limit=0", headers=api.auth(user_a))
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "query.limit"


async def test_live_progress_reads_the_running_workflow(api, llm_server, user_a):
    topic = unique_topic("live")
    llm_server.on(topic, [Reply.auto(delay=1.5)])
    accepted = await create_course(api, user_a, topic)
    await asyncio.sleep(0.5)
    live = (await api.http.get(f"/v1/courses/{accepted['course_id']}/progress", headers=api.auth(user_a))).json()
    assert live["status"] == "generating" and live["generation_stage"] == "outline"
    await wait_for_course(api, user_a, accepted["course_id"])


async def test_delete_removes_the_course_and_cancels_its_workflow(
    api, llm_server, temporal_env, session_factory, user_a
):
    topic = unique_topic("delete")
    llm_server.on(topic, [Reply.auto(delay=2)])
    accepted = await create_course(api, user_a, topic)
    response = await api.http.delete(f"/v1/courses/{accepted['course_id']}", headers=api.auth(user_a))
    assert response.status_code == 204
    assert (await api.http.get(accepted["status_url"], headers=api.auth(user_a))).status_code == 404
    handle = temporal_env.client.get_workflow_handle(accepted["workflow_id"])
    from temporalio.client import WorkflowExecutionStatus

    from tests.support.polling import poll_until

    description = await poll_until(handle.describe, lambda d: d.status != WorkflowExecutionStatus.RUNNING, timeout=15)
    assert description.status in (WorkflowExecutionStatus.CANCELED, WorkflowExecutionStatus.COMPLETED)
    async with session_factory() as session:
        assert (
            await session.scalar(select(func.count()).where(Topic.course_id == uuid.UUID(accepted["course_id"]))) == 0
        )


async def test_delete_cancels_the_courses_running_study_content_generation(api, llm_server, temporal_env, user_a):
    from temporalio.client import WorkflowExecutionStatus

    from tests.support.polling import poll_until
    from tests.support.study import request_content

    course = await ready_course(api, user_a, "delete-quiz")
    llm_server.on(f"course on {course['topic']}", [Reply.auto(delay=10)], repeat_last=True)
    response = await request_content(api, user_a, course["id"], "quiz")
    assert response.status_code == 202
    handle = temporal_env.client.get_workflow_handle(response.json()["workflow_id"])

    async def quiz_requests() -> int:
        return llm_server.arrived(f"course on {course['topic']}")

    await poll_until(quiz_requests, lambda n: n > 0)
    assert (await api.http.delete(f"/v1/courses/{course['id']}", headers=api.auth(user_a))).status_code == 204
    # Left alone, it would retry its LLM call against a deleted course for another ~18 s.
    description = await poll_until(handle.describe, lambda d: d.status != WorkflowExecutionStatus.RUNNING, timeout=10)
    assert description.status == WorkflowExecutionStatus.CANCELED


async def test_an_operator_cancelling_generation_leaves_the_course_failed_not_stuck(
    api, llm_server, temporal_env, user_a
):
    topic = unique_topic("cancel")
    llm_server.on(topic, [Reply.auto(delay=5)])
    accepted = await create_course(api, user_a, topic)
    await asyncio.sleep(0.5)
    await temporal_env.client.get_workflow_handle(accepted["workflow_id"]).cancel()
    course = await wait_for_course(api, user_a, accepted["course_id"], status="failed")
    assert course["error"] == "generation was cancelled"
    assert course["chapters"] == [], "the manual outline must not be used for a cancelled course"
