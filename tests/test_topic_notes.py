"""Topic notes: the 200/202/409 state machine, single generation under concurrency, failure."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select

from db.models import Course, Topic
from tests.support.courses import ready_course
from tests.support.ledger import ledger_rows
from tests.support.polling import poll_until
from tests.support.scripted_openai import Reply


async def _topic(api, user: str, topic_id: str) -> dict:
    response = await api.http.get(f"/v1/topics/{topic_id}", headers=api.auth(user))
    assert response.status_code == 200, response.text
    return response.json()


async def _wait_topic(api, user, topic_id, status: str) -> dict:
    return await poll_until(lambda: _topic(api, user, topic_id), lambda t: t["status"] == status)


async def test_notes_are_generated_once_then_served(api, llm_server, user_a):
    course = await ready_course(api, user_a, "notes")
    topic = course["chapters"][0]["topics"][0]

    started = await api.http.post(f"/v1/topics/{topic['id']}/notes", headers=api.auth(user_a))
    assert started.status_code == 202
    assert started.json()["status"] == "generating"
    assert started.json()["workflow_id"] == f"topic-notes-{topic['id']}"

    done = await _wait_topic(api, user_a, topic["id"], "completed")
    for section in ("## Explanation", "## Key points", "## Example", "## Interview questions"):
        assert section in done["notes_md"]
    assert done["notes_model"] == "primary-model" and done["generated_at"]

    served = await api.http.post(f"/v1/topics/{topic['id']}/notes", headers=api.auth(user_a))
    assert served.status_code == 200
    assert served.json()["notes_md"] == done["notes_md"]
    assert len(llm_server.calls(topic["title"], ok=True)) == 1

    refreshed = (await api.http.get(f"/v1/courses/{course['id']}", headers=api.auth(user_a))).json()
    assert refreshed["topics_completed"] == 1
    assert refreshed["progress_pct"] == round(100 / refreshed["topics_total"], 2)


async def test_twenty_concurrent_requests_start_one_generation_and_one_llm_call(api, llm_server, temporal_env, user_a):
    course = await ready_course(api, user_a, "concurrent-notes")
    topic = course["chapters"][1]["topics"][0]
    llm_server.on(topic["title"], [Reply.auto(delay=0.5)])
    responses = await asyncio.gather(
        *[api.http.post(f"/v1/topics/{topic['id']}/notes", headers=api.auth(user_a)) for _ in range(20)]
    )
    assert {r.status_code for r in responses} <= {200, 202}
    await _wait_topic(api, user_a, topic["id"], "completed")
    assert len(llm_server.calls(topic["title"])) == 1
    runs = [wf async for wf in temporal_env.client.list_workflows(f'WorkflowId = "topic-notes-{topic["id"]}"')]
    assert len(runs) == 1


async def test_notes_failing_every_attempt_mark_the_topic_failed_and_a_new_request_retries(
    api, llm_server, session_factory, user_a
):
    course = await ready_course(api, user_a, "failing-notes")
    topic = course["chapters"][0]["topics"][1]
    rule = llm_server.on(topic["title"], [Reply.error(503)], repeat_last=True)

    assert (await api.http.post(f"/v1/topics/{topic['id']}/notes", headers=api.auth(user_a))).status_code == 202
    failed = await _wait_topic(api, user_a, topic["id"], "failed")
    assert "no LLM endpoint answered" in failed["error"]
    assert failed["retry_count"] == 1
    rows = await ledger_rows(session_factory, topic["id"])
    assert len(rows) == 2 * api.settings.llm_max_attempts and {r.outcome for r in rows} == {"http_503"}

    rule.repeat_last = False  # the provider recovers
    again = await api.http.post(f"/v1/topics/{topic['id']}/notes", headers=api.auth(user_a))
    assert again.status_code == 202
    done = await _wait_topic(api, user_a, topic["id"], "completed")
    assert done["error"] is None and done["retry_count"] == 1


async def test_progress_counter_matches_completed_topics_under_concurrency(api, session_factory, user_a):
    course = await ready_course(api, user_a, "progress")
    topic_ids = [t["id"] for c in course["chapters"] for t in c["topics"]][:6]
    await asyncio.gather(*[api.http.post(f"/v1/topics/{t}/notes", headers=api.auth(user_a)) for t in topic_ids])
    for topic_id in topic_ids:
        await _wait_topic(api, user_a, topic_id, "completed")
    async with session_factory() as session:
        row = await session.get(Course, uuid.UUID(course["id"]))
        completed = (
            await session.scalars(select(Topic.id).where(Topic.course_id == row.id, Topic.status == "completed"))
        ).all()
    assert row.topics_completed == len(completed) == 6
    assert float(row.progress_pct) == round(600 / row.topics_total, 2)
