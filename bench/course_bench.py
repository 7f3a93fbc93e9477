"""Course generation benchmark (issue 3), against the embedded stack with the scripted OpenAI server
answering instantly:

  (a) POST /v1/courses latency p50/p99 and requests/s
  (b) GET /v1/courses/{id} latency p50/p99 and requests/s
  (c) course workflows completed per second, end to end
  (d) the same course work as a plain in-process asyncio function (no Temporal), same run,
      and the orchestration overhead ratio (c) vs (d)

Run: `make bench` or `.venv/bin/python -m bench.course_bench --courses 200 --concurrency 16`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import datetime, timezone

import httpx
from sqlalchemy import func, insert, select

from activities.course_activities import CourseActivities
from activities.llm.gateway import LlmGateway
from activities.llm.ledger import LlmLedger
from bench.load import run_load
from bench.stack import BenchStack
from db.engine import create_engine, create_session_factory
from db.models import Course, User
from studyflow.contracts.activity_io import CourseReadyInput, OutlineRequest, PersistOutlineInput
from studyflow.contracts.workflow_inputs import OutlineShape
from studyflow.launch.dev_auth import ensure_keypair, mint_session_token
from studyflow.settings import Settings


async def _wait_all_ready(session_factory, expected: int, timeout: float = 600) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with session_factory() as session:
            ready = await session.scalar(select(func.count()).where(Course.status == "ready"))
        if ready >= expected:
            return time.perf_counter()
        await asyncio.sleep(0.05)
    raise RuntimeError(f"only {ready}/{expected} courses became ready in {timeout}s")


async def _baseline(settings: Settings, session_factory, courses: int, concurrency: int) -> float:
    """The same activities, called directly: outline → persist → ready. Returns courses/s."""
    activities = CourseActivities(settings, session_factory, LlmGateway(settings, LlmLedger(session_factory)))
    async with session_factory.begin() as session:
        owner = await session.scalar(insert(User).values(clerk_id=f"baseline-{uuid.uuid4()}").returning(User.id))
        ids = [uuid.uuid4() for _ in range(courses)]
        await session.execute(
            insert(Course),
            [
                {"id": i, "owner_id": owner, "topic": f"baseline topic {n}", "course_type": "practical",
                 "difficulty": "beginner", "status": "generating"}
                for n, i in enumerate(ids)
            ],
        )
    shape = OutlineShape()
    limit = asyncio.Semaphore(concurrency)

    async def one(course_id: uuid.UUID) -> None:
        async with limit:
            outline = await activities.generate_outline(OutlineRequest(course_id=course_id, shape=shape))
            await activities.persist_outline(PersistOutlineInput(course_id=course_id, shape=shape, generated=outline))
            await activities.mark_course_ready(CourseReadyInput(course_id=course_id, occurred_at=datetime.now(timezone.utc)))

    started = time.perf_counter()
    await asyncio.gather(*[one(i) for i in ids])
    return courses / (time.perf_counter() - started)


async def run(courses: int, concurrency: int, reads: int) -> None:
    # Course generation only: no background notes competing for the same CPU.
    with BenchStack(extra_env={"BACKGROUND_NOTES_ENABLED": "false", "RATE_LIMIT_BURST": "100000"}) as stack:
        settings = Settings(
            _env_file=None,
            database_url=stack.database_url,
            data_dir=stack.data_dir,
            openai_api_key="sk-bench",
            openai_base_url=stack.env["OPENAI_BASE_URL"],
            openai_fallback_base_url=stack.env["OPENAI_FALLBACK_BASE_URL"],
        )
        private_pem, _ = ensure_keypair(settings.dev_key_dir)
        headers = [
            {"Authorization": f"Bearer {mint_session_token(private_pem, f'bench-user-{n}')}"} for n in range(8)
        ]
        engine = create_engine(stack.database_url)
        sessions = create_session_factory(engine)
        limits = httpx.Limits(max_connections=concurrency * 2)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}", limits=limits, timeout=30) as http:
            for n in range(10):  # warm-up: connections, user rows, code paths
                await http.get("/v1/me/stats", headers=headers[n % len(headers)])
            created: list[str] = []

            async def post(index: int) -> None:
                response = await http.post(
                    "/v1/courses", json={"topic": f"bench topic {index}"}, headers=headers[index % len(headers)]
                )
                assert response.status_code == 202, response.text
                created.append((response.json()["course_id"], index % len(headers)))

            started = time.perf_counter()
            post_stats = await run_load(post, courses, concurrency)
            finished = await _wait_all_ready(sessions, courses)
            end_to_end = courses / (finished - started)

            async def get(_: int) -> None:
                course_id, user = random.choice(created)
                response = await http.get(f"/v1/courses/{course_id}", headers=headers[user])
                assert response.status_code == 200

            get_stats = await run_load(get, reads, concurrency)

        baseline = await _baseline(settings, sessions, courses, concurrency=50)
        await engine.dispose()

    print(f"\ncourse generation benchmark: {courses} courses, concurrency {concurrency}, LLM answers instantly")
    print(post_stats.line("(a) POST /v1/courses"))
    print(get_stats.line("(b) GET /v1/courses/{id}"))
    print(f"(c) end to end via Temporal           {end_to_end:8.1f} courses/s")
    print(f"(d) in-process asyncio, no Temporal   {baseline:8.1f} courses/s")
    print(f"orchestration overhead ratio (d)/(c)  {baseline / end_to_end:8.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(run(args.courses, args.concurrency, args.reads))


if __name__ == "__main__":
    main()
