"""Nothing stuck, ever: a workflow start is recorded with its row (the outbox), the reconciler
relays starts the API never made and repairs rows whose workflow is gone."""

from __future__ import annotations

import asyncio
import signal
import uuid
from contextlib import AsyncExitStack

import httpx
import pytest
from sqlalchemy import select, text
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.service import RPCError

from cli.schedules import reconcile_schedule
from db.models import Course, WorkflowStart
from tests.support.api_process import spawn_api
from tests.support.app import make_settings, open_api_client
from tests.support.courses import create_course, unique_topic, wait_for_course
from tests.support.ledger import ledger_rows
from tests.support.polling import poll_until
from tests.support.reconcile import STUCK_AFTER, reconcile
from tests.support.scripted_openai import Reply
from worker import build_activities, build_workers


async def _backdate(session_factory, course_id: str) -> None:
    async with session_factory.begin() as session:
        await session.execute(
            text("UPDATE courses SET updated_at = now() - interval '1 hour' WHERE id = :id"), {"id": course_id}
        )


async def _courses_today(api, user) -> int:
    return (await api.http.get("/v1/me/stats", headers=api.auth(user))).json()["courses_created_today"]


async def test_an_api_killed_after_answering_but_before_the_start_still_gets_its_course_ready(
    api, temporal_env, settings, session_factory, llm_server, user_a
):
    """The POST answers once the row and its recorded start commit; the start is made after the
    answer. An API that dies in between has still told the truth: the relay starts the course."""
    address = temporal_env.client.service_client.config.target_host
    process, base_url = await asyncio.to_thread(
        spawn_api, settings, address, factory="tests.support.faulty_api:dies_before_starting"
    )
    topic = unique_topic("api-killed")
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=20) as http:
            accepted = await http.post("/v1/courses", json={"topic": topic}, headers=api.auth(user_a))
        assert accepted.status_code == 202, accepted.text
        assert await asyncio.to_thread(process.wait, 10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()

    [course] = (await api.http.get("/v1/courses", headers=api.auth(user_a))).json()["items"]
    assert course["status"] == "generating" and course["topic"] == topic
    workflow_id = f"course-generation-{course['id']}"
    with pytest.raises(RPCError):
        await temporal_env.client.get_workflow_handle(workflow_id).describe()
    assert llm_server.calls(topic) == []

    # The reconciler, run by its schedule, starts what the API recorded.
    configured = settings.model_copy(
        update={
            "reconcile_interval_seconds": 1,
            "outbox_relay_after_seconds": 0,
            "reconcile_stuck_after_seconds": STUCK_AFTER,
        }
    )
    schedule_id = f"reconcile-{uuid.uuid4().hex[:8]}"
    await temporal_env.client.create_schedule(schedule_id, reconcile_schedule(configured))
    try:
        ready = await wait_for_course(api, user_a, course["id"], timeout=60)
    finally:
        await temporal_env.client.get_schedule_handle(schedule_id).delete()
    assert ready["topics_total"] > 0
    assert [r.outcome for r in await ledger_rows(session_factory, course["id"])] == ["ok"]
    async with session_factory() as session:
        record = await session.get(WorkflowStart, workflow_id)
    assert record.started_at is not None
    assert await _courses_today(api, user_a) == 1


async def test_the_relay_marks_a_start_the_api_made_without_starting_it_again(
    api, temporal_env, settings, session_factory, llm_server, user_a
):
    accepted = await create_course(api, user_a, unique_topic("marked"))
    await wait_for_course(api, user_a, accepted["course_id"])
    # As if the API died after the start but before marking it.
    async with session_factory.begin() as session:
        await session.execute(
            text(
                "UPDATE workflow_outbox SET started_at = NULL, created_at = now() - interval '2 "
                "hours' WHERE workflow_id = :id"
            ),
            {"id": accepted["workflow_id"]},
        )
    result = await reconcile(temporal_env, settings, relay_after_seconds=3600)
    async with session_factory() as session:
        record = await session.get(WorkflowStart, accepted["workflow_id"])
    assert record.started_at is not None
    runs = [w async for w in temporal_env.client.list_workflows(f"WorkflowId = '{accepted['workflow_id']}'")]
    assert len(runs) == 1, "recognised by its run's start time, not started twice"
    assert result.relayed == 0


async def test_a_course_whose_workflow_was_terminated_is_failed_and_its_quota_given_back(
    api, temporal_env, settings, session_factory, llm_server, user_a
):
    topic = unique_topic("terminated")
    llm_server.on(topic, [Reply.auto(delay=30)], repeat_last=True)
    accepted = await create_course(api, user_a, topic)

    async def arrivals() -> int:
        return llm_server.arrived(topic)

    await poll_until(arrivals, lambda n: n >= 1, timeout=20)
    await temporal_env.client.get_workflow_handle(accepted["workflow_id"]).terminate("operator")
    assert await _courses_today(api, user_a) == 1

    await reconcile(temporal_env, settings)
    young = (await api.http.get(accepted["status_url"], headers=api.auth(user_a))).json()
    assert young["status"] == "generating", "not stuck until RECONCILE_STUCK_AFTER_SECONDS have passed"

    await _backdate(session_factory, accepted["course_id"])
    result = await reconcile(temporal_env, settings)
    failed = (await api.http.get(accepted["status_url"], headers=api.auth(user_a))).json()
    assert failed["status"] == "failed"
    assert failed["error"] == "Generation was interrupted and could not be resumed; request it again."
    assert await _courses_today(api, user_a) == 0
    assert result.failed >= 1 and result.restarted == 0


async def test_a_running_generation_is_left_alone_however_old_its_row(
    api, temporal_env, settings, session_factory, llm_server, user_a
):
    topic = unique_topic("slow")
    llm_server.on(topic, [Reply.auto(delay=4)])
    accepted = await create_course(api, user_a, topic)
    await _backdate(session_factory, accepted["course_id"])
    await reconcile(temporal_env, settings)
    course = await wait_for_course(api, user_a, accepted["course_id"])
    assert course["error"] is None


async def test_work_temporal_lost_is_restarted_once_from_its_record_then_failed(
    database_url, llm_server, tmp_path, temporal_env, settings, session_factory, worker, user_a
):
    # A queue nobody polls yet, so the lost run cannot have done anything.
    lost_settings = make_settings(database_url, llm_server, tmp_path)
    async with AsyncExitStack() as stack:
        lost_api = await open_api_client(stack, lost_settings, temporal_env)
        accepted = await create_course(lost_api, user_a, unique_topic("lost"))

        async def forget() -> None:
            await temporal_env.client.workflow_service.delete_workflow_execution(
                DeleteWorkflowExecutionRequest(
                    namespace=temporal_env.client.namespace,
                    workflow_execution=WorkflowExecution(workflow_id=accepted["workflow_id"]),
                )
            )

            async def gone() -> bool:
                try:
                    await temporal_env.client.get_workflow_handle(accepted["workflow_id"]).describe()
                except RPCError:
                    return True
                return False

            # Deletion is asynchronous in the server; a closed run's delete task waits behind the
            # session's other work, which is a full suite's worth by the time this test runs.
            await poll_until(gone, bool, timeout=120)

        await forget()
        await _backdate(session_factory, accepted["course_id"])
        result = await reconcile(temporal_env, settings)
        assert result.restarted >= 1
        for w in build_workers(
            temporal_env.client, lost_settings, build_activities(lost_settings, session_factory, temporal_env.client)
        ):
            await stack.enter_async_context(w)
        await wait_for_course(lost_api, user_a, accepted["course_id"])

    # Lost again after its one restart: failed, not restarted forever.
    async with session_factory.begin() as session:
        await session.execute(
            text("UPDATE courses SET status = 'generating' WHERE id = :id"), {"id": accepted["course_id"]}
        )
    await forget()
    await _backdate(session_factory, accepted["course_id"])
    await reconcile(temporal_env, settings)
    async with session_factory() as session:
        course = await session.scalar(select(Course).where(Course.id == uuid.UUID(accepted["course_id"])))
    assert course.status == "failed"
