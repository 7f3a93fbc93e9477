"""A worker process killed mid-workflow: a new worker finishes the course, nothing duplicated."""

from __future__ import annotations

import os
import signal
import uuid
from contextlib import AsyncExitStack

from sqlalchemy import func, select

from db.models import Course, Topic
from tests.support.app import make_settings, open_api_client
from tests.support.courses import create_course, unique_topic, wait_for_course
from tests.support.polling import poll_until
from tests.support.scripted_openai import Reply
from tests.support.worker_process import spawn_worker as _spawn_worker


async def test_killed_worker_is_replaced_and_the_course_completes_without_duplicates(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    settings = make_settings(database_url, llm_server, tmp_path, llm_heartbeat_timeout_seconds=1.5)
    address = temporal_env.client.service_client.config.target_host
    topic = unique_topic("crash")
    # The first outline call hangs long enough for the worker to die while it is in flight.
    llm_server.on(topic, [Reply.auto(delay=6)])
    first = _spawn_worker(settings, address)
    second = None
    try:
        async with AsyncExitStack() as stack:
            api = await open_api_client(stack, settings, temporal_env)
            accepted = await create_course(api, user_a, topic)

            async def arrived() -> int:
                return llm_server.arrived(topic)

            await poll_until(arrived, lambda n: n >= 1, timeout=60)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()

            second = _spawn_worker(settings, address)
            course = await wait_for_course(api, user_a, accepted["course_id"], timeout=60)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)

    assert course["outline_source"] == "llm"
    assert llm_server.arrived(topic) == 2, "the killed attempt and exactly one retry"
    course_id = uuid.UUID(accepted["course_id"])
    async with session_factory() as session:
        topics = (
            await session.execute(select(Topic.chapter_index, Topic.topic_index).where(Topic.course_id == course_id))
        ).all()
        stuck = await session.scalar(
            select(func.count()).where(
                Course.owner_id == select(Course.owner_id).where(Course.id == course_id).scalar_subquery(),
                Course.status == "generating",
            )
        )
    assert len(topics) == len(set(topics)) == course["topics_total"]
    assert stuck == 0
