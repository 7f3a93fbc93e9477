"""A test's workers, whose shutdown cannot hang on work that never ends.

A worker's shutdown waits for its workflow tasks, and a workflow retrying a database step forever
(a bug, such as a unique-key clash on every attempt) keeps its task open: on CI one such teardown
took 27 minutes. Before the workers stop, whatever still runs on their task queues is terminated
(the test that left it has already failed or passed on its own assertions)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from studyflow.settings import Settings
from worker import build_activities, build_workers

log = logging.getLogger(__name__)


@asynccontextmanager
async def serving_workers(client: Client, settings: Settings, session_factory) -> AsyncIterator[list[Worker]]:
    workers = build_workers(client, settings, build_activities(settings, session_factory, client))
    async with AsyncExitStack() as stack:
        for w in workers:
            await stack.enter_async_context(w)
        try:
            yield workers
        finally:
            await end_running_workflows(client, [w.task_queue for w in workers])


async def end_running_workflows(client: Client, task_queues: list[str]) -> int:
    queues = ", ".join(f"'{q}'" for q in task_queues)
    ended = 0
    try:
        async for execution in client.list_workflows(f'TaskQueue IN ({queues}) AND ExecutionStatus = "Running"'):
            try:
                await client.get_workflow_handle(execution.id, run_id=execution.run_id).terminate("the test ended")
                ended += 1
            except RPCError:
                pass  # ended meanwhile
    except RPCError as error:
        log.warning("could not list the workflows left running on %s: %s", queues, error)
    if ended:
        log.warning("terminated %d workflows left running on %s", ended, queues)
    return ended
