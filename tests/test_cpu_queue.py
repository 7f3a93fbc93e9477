"""Embedding-heavy activities run on the cpu queue (issue 37): a learner ingesting large PDFs
takes CPU only from the process serving that queue, never from the one answering the tutor."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from temporalio.api.enums.v1 import EventType

from tests.support import source_files
from tests.support.app import make_settings, open_api_client
from tests.support.courses import ready_course
from tests.support.polling import poll_until
from tests.support.sources import ingested, settled, upload
from worker import build_activities, build_workers

CPU_HEAVY = {"prepare_source", "index_source_batch", "index_course_outline", "index_topic_notes"}


async def _scheduled_queues(client, workflow_id: str) -> dict[str, set[str]]:
    """Activity type → the task queues the workflow's history scheduled it on."""
    queues: dict[str, set[str]] = {}
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attributes = event.activity_task_scheduled_event_attributes
            queues.setdefault(attributes.activity_type.name, set()).add(attributes.task_queue.name)
    return queues


async def test_source_ingestion_and_indexing_are_scheduled_on_the_cpu_queue(api, settings, temporal_env, user_a):
    source = await ingested(api, user_a, "cpu.pdf", source_files.pdf(["Heaps keep the smallest key on top."]))
    assert source["status"] == "ready", source
    queues = await _scheduled_queues(temporal_env.client, source["workflow_id"])
    assert queues == {"prepare_source": {settings.task_queue_cpu}, "index_source_batch": {settings.task_queue_cpu}}

    course = await ready_course(api, user_a, "cpu queue")
    await poll_until(
        lambda: _scheduled_queues(temporal_env.client, course["workflow_id"]),
        lambda q: "index_course_outline" in q,
    )
    queues = await _scheduled_queues(temporal_env.client, course["workflow_id"])
    assert queues["index_course_outline"] == {settings.task_queue_cpu}
    assert not CPU_HEAVY & {name for name, q in queues.items() if settings.task_queue_interactive in q}


async def test_a_worker_serving_only_interactive_work_does_not_read_sources(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    settings = make_settings(database_url, llm_server, tmp_path, worker_queues=["interactive", "background"])
    activities = build_activities(settings, session_factory, temporal_env.client)
    async with AsyncExitStack() as stack:
        for worker in build_workers(temporal_env.client, settings, activities):
            await stack.enter_async_context(worker)
        api = await open_api_client(stack, settings, temporal_env)
        response = await upload(api, user_a, "waits.md", b"# Tries\n\nA trie stores strings by prefix.\n")
        assert response.status_code == 202, response.text
        source = response.json()
        handle = temporal_env.client.get_workflow_handle(source["workflow_id"])

        async def pending() -> list:
            return list((await handle.describe()).raw_description.pending_activities)

        [waiting] = await poll_until(pending, lambda activities: len(activities) == 1)
        await asyncio.sleep(2)  # time enough for the interactive worker to have taken it, had it polled
        [still] = await pending()
        assert waiting.activity_type.name == still.activity_type.name == "prepare_source"
        assert still.attempt == 1 and not still.HasField("last_started_time")
        assert (await api.http.get(f"/v1/sources/{source['id']}", headers=api.auth(user_a))).json()[
            "status"
        ] == "processing"

        cpu_only = settings.model_copy(update={"worker_queues": ["cpu"]})
        [cpu_worker] = build_workers(temporal_env.client, cpu_only, activities)
        assert cpu_worker.task_queue == settings.task_queue_cpu
        await stack.enter_async_context(cpu_worker)
        ready = await settled(api, user_a, source["id"])
        assert ready["status"] == "ready", ready
