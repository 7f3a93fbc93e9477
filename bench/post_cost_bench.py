"""What one `POST /v1/courses` costs the API in CPU (issue 37: POST p99 at c16 far above its goal,
with the requests queueing "behind something shared" that the course bench did not name).

A stack with no worker — nothing but the API, PostgreSQL and (optionally) Temporal — takes a
closed loop of POSTs at concurrency 1 and then 16, and prints their latency beside the API's CPU
per request, measured around the loop alone. The baseline in the same run is the same learners'
`GET /v1/me/stats`, a read through the same middleware, auth and turn. `--no-temporal` points the
API at a closed port, so the start after the answer fails at once (the relay's to repair) and
what Temporal itself costs the machine drops out.

Run: `.venv/bin/python -m bench.post_cost_bench [--posts N] [--no-temporal]`.
"""

from __future__ import annotations

import argparse
import asyncio

import aiohttp

from api.dev_auth import ensure_keypair, mint_session_token
from bench.cpu_share import CpuShare, cpu_share
from bench.load import LatencyStats, run_load
from bench.stack import BenchStack
from studyflow.settings import Settings

LEARNERS = 8


def _cpu_ms_per_request(cpu: CpuShare, stats: LatencyStats) -> float:
    return 1000 * cpu.seconds["api"] / stats.count


async def _measure(stack: BenchStack, posts: int) -> None:
    settings = Settings(_env_file=None, database_url=stack.database_url, data_dir=stack.data_dir)
    private_pem, _ = ensure_keypair(settings.dev_key_dir)
    headers = [
        {"Authorization": f"Bearer {mint_session_token(private_pem, f'post-cost-{n}')}"} for n in range(LEARNERS)
    ]
    roles = {"api": stack.api_pid} | ({"temporal": stack.temporal_pid} if stack.start_temporal else {})
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{stack.api_port}") as http:

        async def stats_read(n: int) -> None:
            async with http.get("/v1/me/stats", headers=headers[n % LEARNERS]) as response:
                assert response.status == 200, await response.text()
                await response.read()

        async def post(n: int) -> None:
            async with http.post(
                "/v1/courses", json={"topic": f"post cost {n}"}, headers=headers[n % LEARNERS]
            ) as response:
                assert response.status == 202, await response.text()
                await response.read()

        await run_load(stats_read, 10 * LEARNERS, 1)  # warm-up: connections, the learners' rows
        await run_load(post, LEARNERS, 1)
        for concurrency in (1, 16):
            with cpu_share(roles) as read_cpu:
                reads = await run_load(stats_read, posts, concurrency)
            with cpu_share(roles) as post_cpu:
                writes = await run_load(post, posts, concurrency)
            read_ms, post_ms = _cpu_ms_per_request(read_cpu, reads), _cpu_ms_per_request(post_cpu, writes)
            print(reads.line(f"GET /v1/me/stats c{concurrency}") + f"   API CPU {read_ms:5.1f} ms/request")
            print(read_cpu.line())
            print(
                writes.line(f"POST /v1/courses c{concurrency}")
                + f"   API CPU {post_ms:5.1f} ms/request ({post_ms / read_ms:.1f}x the read)"
            )
            print(post_cpu.line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--no-temporal", action="store_true", help="no Temporal: every start fails at once")
    args = parser.parse_args()
    with BenchStack(
        start_worker=False,
        start_temporal=not args.no_temporal,
        extra_env={"RATE_LIMIT_BURST": "100000", "BACKGROUND_NOTES_ENABLED": "false"},
    ) as stack:
        print(
            f"POST cost: {stack.api_processes} API process(es), no worker, "
            f"Temporal {'off (starts fail at once)' if args.no_temporal else 'dev server'}"
        )
        asyncio.run(_measure(stack, args.posts))


if __name__ == "__main__":
    main()
