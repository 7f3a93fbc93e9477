"""Interactive-first notes under a background backlog (issue 7).

The scripted LLM answers every call after a fixed delay (200 ms). 500 topic generations are
queued in the background, then 20 learners open topics from that backlog, one every 250 ms.
Measured: the wait from "learner opens a topic" to "notes ready", p50/p95, for

  priority  this design: backlog in the database, ≤4 background generations on their own queue
            and slots, opened topics claimed onto the interactive queue (4 slots);
  idle      no backlog at all: the floor of this machine, for reference;
  fifo      a plain single queue: the 500 generations started on one queue (8 slots, the same
            total capacity), the opened topics behind them.

Run: `.venv/bin/python -m bench.priority_bench` (about 3 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid

import httpx
from sqlalchemy import select, update

from api.dev_auth import ensure_keypair, mint_session_token
from bench.load import percentile
from bench.stack import BenchStack
from db.engine import create_engine, create_session_factory
from db.models import Course, Topic, User
from studyflow import workflow_ids
from studyflow.contracts.workflow_inputs import BackgroundDispatchInput, LlmRetry, TopicNotesInput
from studyflow.settings import Settings
from studyflow.temporal_client import connect

LLM_DELAY = 0.2


async def _courses(http: httpx.AsyncClient, headers: list[dict], count: int, sessions) -> None:
    async def one(i: int) -> None:
        response = await http.post(
            "/v1/courses", json={"topic": f"backlog subject {i}"}, headers=headers[i % len(headers)]
        )
        assert response.status_code == 202, response.text

    await asyncio.gather(*[one(i) for i in range(count)])
    while True:
        async with sessions() as session:
            generating = await session.scalar(select(Course.id).where(Course.status == "generating").limit(1))
        if generating is None:
            return
        await asyncio.sleep(0.2)


async def run_mode(mode: str, backlog: int, learners: int) -> list[float]:
    env = {
        "LLM_HEARTBEAT_TIMEOUT_SECONDS": "30",
        "BACKGROUND_NOTES_ENABLED": "false",  # the bench queues the backlog itself, all at once
        "BACKGROUND_GLOBAL_CONCURRENCY": "4",
        "BACKGROUND_PER_USER_CONCURRENCY": "4",
        "WORKER_INTERACTIVE_SLOTS": "4" if mode == "priority" else "8",
        "RATE_LIMIT_BURST": "100000",
    }
    # Priority: one worker process per queue (own CPU share and slots); FIFO: one process.
    processes = (
        [{"WORKER_QUEUES": '["interactive"]'}, {"WORKER_QUEUES": '["background"]'}] if mode == "priority" else [{}]
    )
    with BenchStack(llm_delay=LLM_DELAY, extra_env=env, worker_processes=processes) as stack:
        settings = Settings(
            _env_file=None,
            database_url=stack.database_url,
            data_dir=stack.data_dir,
            temporal_address=stack.temporal_address,
        )
        private_pem, _ = ensure_keypair(settings.dev_key_dir)
        users = [f"bench-learner-{n}" for n in range(8)]
        headers = [{"Authorization": f"Bearer {mint_session_token(private_pem, u)}"} for u in users]
        engine = create_engine(stack.database_url)
        sessions = create_session_factory(engine)
        client = await connect(settings)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}", timeout=60) as http:
            await _courses(http, headers, -(-backlog // 9) + 3, sessions)
            async with sessions() as session:
                rows = (
                    await session.execute(
                        select(Topic.id, Course.owner_id).join(Course, Course.id == Topic.course_id).order_by(Topic.id)
                    )
                ).all()
            topic_ids = [r.id for r in rows]
            queued = topic_ids[:backlog]
            retry = LlmRetry()
            if mode == "idle":
                pass  # no backlog at all: the floor this machine can do
            elif mode == "priority":
                async with sessions.begin() as session:
                    await session.execute(update(Topic).where(Topic.id.in_(queued)).values(background_queued=True))
                await client.start_workflow(
                    "BackgroundNotesDispatcherWorkflow",
                    BackgroundDispatchInput(retry=retry),
                    id=workflow_ids.background_dispatcher(settings.task_queue_background),
                    task_queue=settings.task_queue_background,
                    start_signal="wake",
                )
            else:
                async with sessions.begin() as session:
                    await session.execute(update(Topic).where(Topic.id.in_(queued)).values(status="generating"))
                await asyncio.gather(
                    *[
                        client.start_workflow(
                            "TopicNotesWorkflow",
                            TopicNotesInput(topic_id=t, retry=retry),
                            id=workflow_ids.topic_notes(t),
                            task_queue=settings.task_queue_interactive,
                        )
                        for t in queued
                    ]
                )
            await asyncio.sleep(1.0)  # the backlog is under way
            owner_of = {r.id: r.owner_id for r in rows}
            async with sessions() as session:
                clerk_of = dict((await session.execute(select(User.id, User.clerk_id))).all())
            waits: list[float] = []

            async def learner(index: int, topic_id: uuid.UUID) -> None:
                await asyncio.sleep(index * 0.25)
                user = users.index(clerk_of[owner_of[topic_id]])
                started = time.perf_counter()
                response = await http.post(f"/v1/topics/{topic_id}/notes", headers=headers[user])
                assert response.status_code in (200, 202), response.text
                while True:
                    async with sessions() as session:
                        status = await session.scalar(select(Topic.status).where(Topic.id == topic_id))
                    if status == "completed":
                        waits.append(time.perf_counter() - started)
                        return
                    await asyncio.sleep(0.02)

            # Learners open topics still waiting in the backlog: in the database backlog (priority)
            # or in the task queue (fifo); either way not finished.
            backlog_status = "generating" if mode == "fifo" else "pending"
            async with sessions() as session:
                waiting = list(
                    await session.scalars(select(Topic.id).where(Topic.id.in_(queued), Topic.status == backlog_status))
                )
            picks = random.Random(7).sample(waiting, learners)
            await asyncio.gather(*[learner(i, t) for i, t in enumerate(picks)])
        await engine.dispose()
    return waits


async def run(backlog: int, learners: int) -> None:
    results = {mode: await run_mode(mode, backlog, learners) for mode in ("idle", "priority", "fifo")}
    print(
        f"\ninteractive wait under a {backlog}-topic background backlog, {learners} learners, "
        f"LLM latency {LLM_DELAY * 1000:.0f} ms"
    )
    for mode, waits in results.items():
        print(
            f"  {mode:<8} p50={statistics.median(waits):7.2f} s  p95={percentile(waits, 95):7.2f} s  "
            f"(= {percentile(waits, 95) / LLM_DELAY:6.1f} LLM latencies)"
        )
    ratio = percentile(results["fifo"], 95) / percentile(results["priority"], 95)
    print(f"  FIFO / priority p95 ratio: {ratio:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backlog", type=int, default=500)
    parser.add_argument("--learners", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.backlog, args.learners))


if __name__ == "__main__":
    main()
