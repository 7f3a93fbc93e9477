"""Lazy background notes at low priority: bounded, fair, and never in an active learner's way."""

from __future__ import annotations

import asyncio
import os
import uuid
from contextlib import AsyncExitStack

from sqlalchemy import select

from db.models import Topic, User, WorkflowStart
from studyflow import search_attributes, workflow_ids
from tests.support.app import make_settings, open_api_client
from tests.support.courses import create_course, unique_topic, wait_for_course
from tests.support.polling import poll_until
from tests.support.reconcile import reconcile
from tests.support.scripted_openai import Reply
from tests.support.temporal_outage import client_that_cannot_start
from worker import build_activities, build_workers


async def _stack(stack, database_url, llm_server, tmp_path, temporal_env, session_factory, **overrides):
    settings = make_settings(database_url, llm_server, tmp_path, background_notes_enabled=True, **overrides)
    for w in build_workers(
        temporal_env.client, settings, build_activities(settings, session_factory, temporal_env.client)
    ):
        await stack.enter_async_context(w)
    return await open_api_client(stack, settings, temporal_env)


async def _statuses(session_factory, course_id: str) -> dict[str, str]:
    async with session_factory() as session:
        rows = await session.execute(select(Topic.title, Topic.status).where(Topic.course_id == uuid.UUID(course_id)))
        return dict(rows.all())


def _max_overlap(calls) -> int:
    events = sorted([(c.arrived_at, 1) for c in calls] + [(c.at, -1) for c in calls])
    current = peak = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


async def test_background_generation_completes_every_topic_within_the_caps(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a, user_b
):
    async with AsyncExitStack() as stack:
        api = await _stack(
            stack,
            database_url,
            llm_server,
            tmp_path,
            temporal_env,
            session_factory,
            background_global_concurrency=2,
            background_per_user_concurrency=1,
        )
        topics = [unique_topic("bg-a"), unique_topic("bg-b")]
        for topic in topics:
            llm_server.on(f"course on {topic}", [Reply.auto(delay=0.3)], repeat_last=True)
        courses = [await create_course(api, user, topic) for user, topic in zip((user_a, user_b), topics, strict=False)]
        for user, course in zip((user_a, user_b), courses, strict=False):
            await wait_for_course(api, user, course["course_id"])
        for course in courses:
            await poll_until(
                lambda c=course: _statuses(session_factory, c["course_id"]),
                lambda s: set(s.values()) == {"completed"},
                timeout=90,
            )
    notes_calls = [
        c
        for c in llm_server.calls(ok=True)
        if c.schema_name == "topic_notes" and any(f"course on {t}" in c.text for t in topics)
    ]
    assert len(notes_calls) == 2 * 9
    assert _max_overlap(notes_calls) <= 2, "global cap"
    for topic in topics:
        assert _max_overlap([c for c in notes_calls if f"course on {topic}" in c.text]) <= 1, "per-learner cap"


async def test_opening_a_topic_still_in_the_backlog_generates_it_once_right_away(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    async with AsyncExitStack() as stack:
        api = await _stack(
            stack,
            database_url,
            llm_server,
            tmp_path,
            temporal_env,
            session_factory,
            background_global_concurrency=1,
            background_per_user_concurrency=1,
        )
        topic = unique_topic("promote")
        llm_server.on(f"course on {topic}", [Reply.auto(delay=1.0)], repeat_last=True)
        accepted = await create_course(api, user_a, topic)
        course = await wait_for_course(api, user_a, accepted["course_id"])
        last = course["chapters"][-1]["topics"][-1]
        opened = await api.http.post(f"/v1/topics/{last['id']}/notes", headers=api.auth(user_a))
        assert opened.status_code == 202

        async def status():
            return (await api.http.get(f"/v1/topics/{last['id']}", headers=api.auth(user_a))).json()["status"]

        started = asyncio.get_running_loop().time()
        await poll_until(status, lambda s: s == "completed", timeout=30)
        waited = asyncio.get_running_loop().time() - started
        statuses = await _statuses(session_factory, accepted["course_id"])
        assert list(statuses.values()).count("completed") < len(statuses), "the backlog was still there"
        assert waited < 3.5, f"an opened topic waited {waited:.1f}s behind the background backlog"
        # Let the backlog drain so no later test inherits it.
        await poll_until(
            lambda: _statuses(session_factory, accepted["course_id"]),
            lambda s: set(s.values()) == {"completed"},
            timeout=90,
        )
    runs = [w async for w in temporal_env.client.list_workflows(f'WorkflowId = "topic-notes-{last["id"]}"')]
    assert len(runs) == 1
    assert len([c for c in llm_server.calls(f"topic '{last['title']}'", ok=True)]) == 1


async def test_background_generation_can_be_switched_off(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    async with AsyncExitStack() as stack:
        api = await _stack(stack, database_url, llm_server, tmp_path, temporal_env, session_factory)
        api.settings.background_notes_enabled = False
        accepted = await create_course(api, user_a, unique_topic("bg-off"))
        await wait_for_course(api, user_a, accepted["course_id"])
        await asyncio.sleep(2)
        assert set((await _statuses(session_factory, accepted["course_id"])).values()) == {"pending"}


async def test_dispatcher_and_nudge_histories_replay(
    temporal_env, database_url, llm_server, tmp_path, session_factory, user_a
):
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Replayer

    from studyflow.contracts.workflow_inputs import NudgeRunInput
    from tests.support.replay import HISTORIES, RECORDING_LABEL
    from worker import WORKFLOWS
    from workflows.engagement_nudges import EngagementNudgesWorkflow

    async with AsyncExitStack() as stack:
        api = await _stack(stack, database_url, llm_server, tmp_path, temporal_env, session_factory)
        accepted = await create_course(api, user_a, unique_topic("bg-replay"))
        await wait_for_course(api, user_a, accepted["course_id"])
        await poll_until(
            lambda: _statuses(session_factory, accepted["course_id"]),
            lambda s: set(s.values()) == {"completed"},
            timeout=90,
        )
        dispatcher = temporal_env.client.get_workflow_handle(
            f"background-notes-dispatcher-{api.settings.task_queue_background}"
        )
        await poll_until(dispatcher.describe, lambda d: d.status.name != "RUNNING", timeout=30)
        nudges = await temporal_env.client.start_workflow(
            EngagementNudgesWorkflow.run,
            NudgeRunInput(day="2019-06-01"),
            id=f"nudge-replay-{uuid.uuid4()}",
            task_queue=api.settings.task_queue_background,
        )
        await nudges.result()
        histories = {
            "BackgroundNotesDispatcherWorkflow": await dispatcher.fetch_history(),
            "EngagementNudgesWorkflow": await nudges.fetch_history(),
        }
    for name, history in histories.items():
        await Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter).replay_workflow(history)
        if os.environ.get("STUDYFLOW_RECORD_HISTORIES"):
            (HISTORIES / f"{name}__{RECORDING_LABEL}.json").write_text(history.to_json())


async def _queued(session_factory, topic_id: str) -> bool:
    async with session_factory() as session:
        return bool(await session.scalar(select(Topic.background_queued).where(Topic.id == uuid.UUID(topic_id))))


async def test_an_opened_topic_whose_start_failed_is_relayed_and_background_runs_are_tagged(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    async with AsyncExitStack() as stack:
        api = await _stack(
            stack,
            database_url,
            llm_server,
            tmp_path,
            temporal_env,
            session_factory,
            background_global_concurrency=1,
            background_per_user_concurrency=1,
        )
        topic = unique_topic("start-fails")
        llm_server.on(f"course on {topic}", [Reply.auto(delay=0.5)], repeat_last=True)
        accepted = await create_course(api, user_a, topic)
        course = await wait_for_course(api, user_a, accepted["course_id"])
        first, last = course["chapters"][0]["topics"][0], course["chapters"][-1]["topics"][-1]
        # The course is ready before its topics join the backlog; wait until the last one has.
        await poll_until(lambda: _queued(session_factory, last["id"]), lambda queued: queued, timeout=30)

        down = await open_api_client(
            stack, api.settings, temporal_env, temporal_client=await client_that_cannot_start(temporal_env)
        )
        opened = await down.http.post(f"/v1/topics/{last['id']}/notes", headers=down.auth(user_a))
        # Answered before the start: the topic is the learner's, out of the backlog, and its
        # recorded start is the relay's to make.
        assert opened.status_code == 202, opened.text
        async with session_factory() as session:
            row = await session.get(Topic, uuid.UUID(last["id"]))
            assert (row.status, row.background_queued) == ("generating", False)
            record = await session.get(WorkflowStart, workflow_ids.topic_notes(last["id"]))
            assert record.started_at is None
        repaired = await reconcile(temporal_env, api.settings, relay_after_seconds=0)
        assert repaired.relayed == 1
        await poll_until(
            lambda: _statuses(session_factory, accepted["course_id"]),
            lambda s: set(s.values()) == {"completed"},
            timeout=90,
        )

    # The dispatcher's runs carry the learner, so account deletion can find and cancel them.
    async with session_factory() as session:
        user_id = await session.scalar(select(User.id).where(User.clerk_id == user_a))
    description = await temporal_env.client.get_workflow_handle(workflow_ids.topic_notes(first["id"])).describe()
    assert description.typed_search_attributes.get(search_attributes.USER_ID) == str(user_id)
    assert description.typed_search_attributes.get(search_attributes.COURSE_ID) == accepted["course_id"]
