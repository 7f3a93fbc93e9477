"""One learner's open event streams cannot take the service down (issue 29, finding 1): a stream
holds no database connection, streams are bounded per learner and per process (429 naming the
limit), and a pool that has no connection to give answers 503 with Retry-After, never a 500."""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import AsyncExitStack

import httpx
from sqlalchemy import text

from api.app import create_app
from tests.support.app import ApiClient, make_settings
from tests.support.live_server import live_server
from tests.support.scripted_openai import Reply
from tests.support.sources import ingested
from tests.support.sse import open_events
from tests.test_tutor_chat import NOTES


async def test_many_open_streams_leave_other_learners_working_and_beyond_the_limits_are_refused(
    database_url, llm_server, tmp_path, temporal_env
):
    # A pool of 1 (+10 overflow) and 14 streams: were a stream to hold a connection, everyone
    # else's requests would wait for one and fail.
    settings = make_settings(
        database_url,
        llm_server,
        tmp_path,
        database_pool_size=1,
        database_pool_timeout_seconds=2,
        events_max_streams_per_user=3,
        events_max_streams=14,
    )
    app = create_app(settings, temporal_client=temporal_env.client)
    api = ApiClient(http=None, settings=settings, app=app)
    streamers = [f"streamer_{i}_{uuid.uuid4().hex[:6]}" for i in range(5)]
    bystander = f"bystander_{uuid.uuid4().hex[:6]}"
    async with AsyncExitStack() as stack:
        base_url = await stack.enter_async_context(live_server(app))
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=10))

        async def open_stream(user: str):
            events = await stack.enter_async_context(open_events(base_url, api.token(user)))
            if events.response.status_code == 200:
                assert (await events.next()).kind == "ready"
            return events

        opened = [await open_stream(user) for user in streamers[:4] for _ in range(3)]
        assert [e.response.status_code for e in opened] == [200] * 12
        fourth = await open_stream(streamers[0])
        assert fourth.response.status_code == 429
        body = (await fourth.response.aread()).decode()
        assert "at most 3 per learner" in body and fourth.response.headers["Retry-After"]
        opened += [await open_stream(streamers[4]) for _ in range(2)]
        assert app.state.event_hub.open_streams == 14
        over = await open_stream(streamers[4])
        assert over.response.status_code == 429
        assert "limit of 14 open event streams" in (await over.response.aread()).decode()

        # Everyone else still gets answers, quickly: streams hold no connection.
        started = time.monotonic()
        for _ in range(20):
            me = await http.get("/v1/me", headers=api.auth(bystander))
            assert me.status_code == 200, me.text
        assert time.monotonic() - started < 5
        assert (await http.get("/readyz")).json()["checks"]["database"] == "ok"
        async with app.state.session_factory() as session:
            idle_in_transaction = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
                )
            )
        assert idle_in_transaction == 0

        # A closed stream gives its place back.
        await opened[0].response.aclose()
        await asyncio.sleep(0.3)
        async with open_events(base_url, api.token(streamers[0])) as again:
            assert again.response.status_code == 200


async def test_an_exhausted_connection_pool_answers_503_with_retry_after(
    database_url, llm_server, tmp_path, temporal_env
):
    settings = make_settings(
        database_url, llm_server, tmp_path, database_pool_size=1, database_pool_timeout_seconds=0.5
    )
    app = create_app(settings, temporal_client=temporal_env.client)
    api = ApiClient(http=None, settings=settings, app=app)
    user = f"pool_{uuid.uuid4().hex[:6]}"
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        http = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://studyflow.test")
        )
        assert (await http.get("/v1/me", headers=api.auth(user))).status_code == 200
        # Every connection the engine may open (1 + 10 overflow), held in open transactions.
        for _ in range(11):
            session = await stack.enter_async_context(app.state.session_factory())
            await session.execute(text("SELECT 1"))
        started = time.monotonic()
        response = await http.get("/v1/me", headers=api.auth(user))
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"]
        assert response.json()["error"] == {
            "code": "unavailable",
            "message": "the server is busy (no database connection free); retry shortly",
        }
        assert time.monotonic() - started < 3


async def test_learners_waiting_for_tutor_answers_hold_no_connection(stack_with, llm_server, user_a, user_b):
    """Fifteen `?wait=true` questions waiting on a slow model, on a pool of 1 (+10 overflow):
    another learner's requests still answer at once."""
    # The model takes 4 s, within its timeout (the test stack's default of 3 s would fail every answer).
    api = await stack_with(database_pool_size=1, database_pool_timeout_seconds=2, llm_timeout_seconds=10)
    source = await ingested(api, user_a, "recursion.md", NOTES)
    assert source["status"] == "ready"
    # Three chats of five: Temporal takes at most ten updates in flight per workflow.
    conversations = [
        (await api.http.post("/v1/conversations", json={}, headers=api.auth(user_a))).json() for _ in range(3)
    ]
    marker = f"slow-{uuid.uuid4().hex[:6]}"
    llm_server.on(marker, [Reply.auto(delay=4)], repeat_last=True)

    async def ask(n: int):
        return await api.http.post(
            f"/v1/conversations/{conversations[n % 3]['id']}/messages",
            params={"wait": "true"},
            json={"question": f"What does every recursive function need to stop? ({marker} {n})"},
            headers=api.auth(user_a),
            timeout=60,
        )

    waiting = [asyncio.create_task(ask(n)) for n in range(15)]
    await asyncio.sleep(1.5)  # all of them are waiting on the model now
    started = time.monotonic()
    for _ in range(10):
        me = await api.http.get("/v1/me", headers=api.auth(user_b))
        assert me.status_code == 200, me.text
    assert time.monotonic() - started < 3
    answers = await asyncio.gather(*waiting)
    assert [a.status_code for a in answers] == [200] * 15
