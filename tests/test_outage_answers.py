"""An outage behind the API is a 503 with Retry-After, never a 500: the client may retry."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack

from tests.support.app import make_settings, open_api_client


async def test_a_database_that_does_not_answer_is_a_503_with_retry_after(llm_server, tmp_path, temporal_env, user_a):
    # A socket directory with no server in it: every connection attempt is refused.
    nowhere = f"postgresql://postgres@/studyflow?host={tmp_path}"
    settings = make_settings(nowhere, llm_server, tmp_path)
    async with AsyncExitStack() as stack:
        api = await open_api_client(stack, settings, temporal_env)
        # The list goes through the engine, the course (a polled read) through the read pool.
        for method, url in (("GET", "/v1/courses"), ("POST", "/v1/courses"), ("GET", f"/v1/courses/{uuid.uuid4()}")):
            response = await api.http.request(method, url, json={"topic": "Outages"}, headers=api.auth(user_a))
            assert response.status_code == 503, (url, response.text)
            assert response.headers["Retry-After"] == "5"
            assert response.json()["error"] == {
                "code": "unavailable",
                "message": "the database is unavailable; retry shortly",
            }
