"""One person's requests take turns (api/learner_turns.py): beyond LEARNER_REQUESTS_IN_FLIGHT in
progress at once, a request waits — holding no database connection — and answers 429 after
LEARNER_QUEUE_SECONDS; other people are not held up, and a finished request frees its turn."""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack

import httpx

from tests.support.app import open_api_client


async def _slow_upload(api, user: str, released: asyncio.Event) -> httpx.Response:
    """An upload whose body arrives in two parts, the second once `released` is set: the request
    is in progress (its person's turn taken) until then."""
    upload = {"file": ("turns.md", b"# Turns\n\nTaking turns.\n", "text/markdown")}
    built = httpx.Request("POST", "http://localhost/v1/sources", files=upload)
    body = built.read()

    async def parts():
        yield body[:10]
        await released.wait()
        yield body[10:]

    headers = {**api.auth(user), "content-type": built.headers["content-type"]}
    return await api.http.post("/v1/sources", content=parts(), headers=headers)


async def test_a_persons_requests_beyond_their_turns_wait_then_answer_429(
    settings, temporal_env, worker, user_a, user_b
):
    limited = type(settings).model_validate(
        settings.model_copy(update={"learner_requests_in_flight": 1, "learner_queue_seconds": 2.0}).model_dump()
    )
    async with AsyncExitStack() as stack:
        api = await open_api_client(stack, limited, temporal_env)
        for user in (user_a, user_b):  # known to the API before the test's requests
            assert (await api.http.get("/v1/me", headers=api.auth(user))).status_code == 200
        released = asyncio.Event()
        upload = asyncio.create_task(_slow_upload(api, user_a, released))
        await asyncio.sleep(0.2)  # the upload is in progress, holding user_a's one turn

        started = time.monotonic()
        waited = await api.http.get("/v1/me", headers=api.auth(user_a))
        assert waited.status_code == 429, waited.text
        assert "too many requests at once for this account (at most 1 in progress)" in waited.json()["error"]["message"]
        assert waited.headers["Retry-After"] == "1"
        assert time.monotonic() - started >= 2.0

        other = await api.http.get("/v1/me", headers=api.auth(user_b))  # another person: no wait
        assert other.status_code == 200

        # A request that is waiting gets the turn as soon as the upload finishes (well within 2 s).
        queued = asyncio.create_task(api.http.get("/v1/me", headers=api.auth(user_a)))
        await asyncio.sleep(0.05)
        assert not queued.done()
        released.set()
        assert (await upload).status_code == 202
        assert (await queued).status_code == 200
        # And nothing is left held: the person's entry is gone once their requests are done.
        assert (await api.http.get("/v1/me", headers=api.auth(user_a))).status_code == 200
        assert api.app.state.learner_turns._people == {}
