from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from api.schemas.health import Liveness, Readiness

router = APIRouter(tags=["health"])

# A worker's long poll lasts up to a minute and each poll refreshes its entry, while Temporal
# keeps a poller listed for minutes after it stopped: an entry older than this is a worker gone.
POLLER_FRESH_SECONDS = 90
# Readiness is probed every few seconds by every orchestrator replica; three Temporal calls per
# probe are cheap, but not needed more often than this.
WORKERS_CACHE_SECONDS = 5


@router.get("/healthz", response_model=Liveness)
async def liveness() -> Liveness:
    return Liveness(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readiness(request: Request):
    checks: dict[str, str] = {}
    try:
        async with request.app.state.session_factory() as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), timeout=3)
        checks["database"] = "ok"
    except Exception as exc:  # report, don't raise: readiness is a report
        checks["database"] = f"error: {type(exc).__name__}"
    client = None
    try:
        client = await asyncio.wait_for(request.app.state.temporal.get(), timeout=3)
        await client.service_client.check_health(timeout=timedelta(seconds=3))
        checks["temporal"] = "ok"
    except Exception as exc:
        checks["temporal"] = f"error: {type(exc).__name__}"
    settings = request.app.state.settings
    if settings.readiness_requires_workers:
        checks["workers"] = (
            await _workers_polling(request.app.state, client)
            if checks["temporal"] == "ok"
            else "unknown: Temporal is unreachable"
        )
    ready = all(value == "ok" for value in checks.values())
    body = Readiness(status="ok" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


async def _workers_polling(state, client) -> str:
    """ "ok" when a worker has polled every task queue recently, else which queues nobody serves.

    Accepted work waits forever on a queue no worker polls: a stack without workers is not ready
    even though the API, the database and Temporal all answer."""
    cached = getattr(state, "workers_check", None)
    if cached and time.monotonic() - cached[0] < WORKERS_CACHE_SECONDS:
        return cached[1]
    settings = state.settings
    queues = {
        "interactive": settings.task_queue_interactive,
        "background": settings.task_queue_background,
        "cpu": settings.task_queue_cpu,
    }
    try:
        served = await asyncio.gather(*(_has_fresh_poller(client, settings, q) for q in queues.values()))
        idle = [name for name, ok in zip(queues, served, strict=True) if not ok]
        result = "ok" if not idle else f"error: no worker polls the {', '.join(idle)} queue{'s' * (len(idle) > 1)}"
    except Exception as exc:
        result = f"error: {type(exc).__name__}"
    state.workers_check = (time.monotonic(), result)
    return result


async def _has_fresh_poller(client, settings, queue: str) -> bool:
    # Every queue has activity workers (the cpu queue has nothing else), so activity pollers say
    # whether a worker serves it.
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=settings.temporal_namespace,
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        ),
        timeout=timedelta(seconds=3),
    )
    fresh_after = datetime.now(UTC) - timedelta(seconds=POLLER_FRESH_SECONDS)
    polled = [p.last_access_time.ToDatetime(tzinfo=UTC) for p in response.pollers if p.HasField("last_access_time")]
    return any(when >= fresh_after for when in polled)
