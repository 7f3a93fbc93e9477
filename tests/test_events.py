"""GET /v1/events: status changes reach the learner who owns them, live, over real HTTP."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx

from api.app import create_app
from tests.support.app import ApiClient, make_settings
from tests.support.courses import create_course, unique_topic, wait_for_course
from tests.support.live_server import live_server
from tests.support.sse import open_events
from tests.support.study import request_content, wait_content
from worker import build_activities, build_workers


async def _stack(stack, database_url, llm_server, tmp_path, temporal_env, session_factory, **overrides):
    settings = make_settings(database_url, llm_server, tmp_path, **overrides)
    for w in build_workers(
        temporal_env.client, settings, build_activities(settings, session_factory, temporal_env.client)
    ):
        await stack.enter_async_context(w)
    app = create_app(settings, temporal_client=temporal_env.client)
    base_url = await stack.enter_async_context(live_server(app))
    http = await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=30))
    return base_url, ApiClient(http=http, settings=settings, app=app)


async def test_a_learner_sees_their_course_topics_and_study_content_change_and_nobody_elses(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a, user_b
):
    async with AsyncExitStack() as stack:
        base_url, api = await _stack(stack, database_url, llm_server, tmp_path, temporal_env, session_factory)
        mine = await stack.enter_async_context(open_events(base_url, api.token(user_a)))
        theirs = await stack.enter_async_context(open_events(base_url, api.token(user_b)))
        assert mine.response.status_code == 200
        assert mine.response.headers["content-type"].startswith("text/event-stream")
        assert (await mine.next()).kind == "ready" and (await theirs.next()).kind == "ready"

        accepted = await create_course(api, user_a, unique_topic("events"))
        course_id = accepted["course_id"]
        ready = await mine.until(lambda e: e.kind == "course" and e.data["status"] == "ready")
        assert ready.data["id"] == course_id and ready.id
        course = await wait_for_course(api, user_a, course_id)
        topic_id = course["chapters"][0]["topics"][0]["id"]

        await api.http.post(f"/v1/topics/{topic_id}/notes", headers=api.auth(user_a))
        done = await mine.until(lambda e: e.kind == "topic" and e.data["status"] == "completed")
        assert done.data == {"kind": "topic", "id": topic_id, "course_id": course_id, "status": "completed"}

        quiz = (await request_content(api, user_a, course_id, "quiz")).json()
        event = await mine.until(lambda e: e.kind == "study_content" and e.data["status"] == "completed")
        assert event.data["id"] == quiz["id"]
        await wait_content(api, user_a, quiz["id"])

        # The other learner's first event is their own course: nothing of the first one leaked.
        own = await create_course(api, user_b, unique_topic("events-b"))
        first = await theirs.next(timeout=30)
        assert first.kind == "course" and first.data["id"] == own["course_id"]


async def test_the_stream_needs_a_session_and_sends_heartbeats(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    async with AsyncExitStack() as stack:
        base_url, api = await _stack(
            stack, database_url, llm_server, tmp_path, temporal_env, session_factory, events_heartbeat_seconds=0.3
        )
        async with open_events(base_url, None) as anonymous:
            assert anonymous.response.status_code == 401
        async with open_events(base_url, api.token(user_a)) as events:
            assert (await events.next()).kind == "ready"
            heartbeat = await events.next(timeout=5, heartbeats=True)
            assert heartbeat.comment is not None and heartbeat.data is None


async def test_a_reconnecting_client_gets_what_it_missed_or_is_told_to_resync(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    async with AsyncExitStack() as stack:
        base_url, api = await _stack(stack, database_url, llm_server, tmp_path, temporal_env, session_factory)
        async with open_events(base_url, api.token(user_a)) as events:
            await events.next()
            first = await create_course(api, user_a, unique_topic("resume-1"))
            seen = await events.until(lambda e: e.kind == "course" and e.data["id"] == first["course_id"])
        await wait_for_course(api, user_a, first["course_id"])

        # Disconnected: a second course is created and generated meanwhile.
        second = await create_course(api, user_a, unique_topic("resume-2"))
        await wait_for_course(api, user_a, second["course_id"])
        async with open_events(base_url, api.token(user_a), last_event_id=seen.id) as resumed:
            assert (await resumed.next()).kind == "ready"
            replayed = await resumed.until(
                lambda e: e.kind == "course" and e.data["id"] == second["course_id"] and e.data["status"] == "ready"
            )
            assert int(replayed.id.split("-")[1]) > int(seen.id.split("-")[1])

        async with open_events(base_url, api.token(user_a), last_event_id="another-process-7") as unknown:
            assert (await unknown.next()).kind == "ready"
            assert (await unknown.next()).kind == "resync"


def test_replay_memory_is_bounded_and_a_forgotten_learner_is_told_to_resync(monkeypatch):
    import json
    import uuid

    from api import status_events
    from api.status_events import EventHub

    monkeypatch.setattr(status_events, "REMEMBERED_USERS", 3)
    hub = EventHub("postgresql://unused/unused")
    learners = [uuid.uuid4() for _ in range(4)]
    for learner in learners:
        hub._dispatch(
            json.dumps({"user_id": str(learner), "kind": "course", "id": "c", "course_id": "c", "status": "ready"})
        )
    assert list(hub._recent) == learners[1:]
    boot = hub._boot
    assert hub._since(learners[0], f"{boot}-0") is None, "its events were forgotten: resync"
    assert hub._since(learners[0], f"{boot}-1") == [], "nothing happened to it since event 1"
    assert [e.data["kind"] for e in hub._since(learners[3], f"{boot}-3")] == ["course"]
    assert hub._since(learners[3], f"{boot}-4") == []
    assert hub._since(learners[3], "other-1") is None  # another process's id: resync
