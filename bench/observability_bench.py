"""What metrics and tracing cost the API: the same requests against two API processes of one
stack, one with `/metrics` and OTLP tracing on (spans exported to a local OTLP/HTTP sink), one with
both off, in alternating rounds so machine noise hits both alike. Prints p50/p99 per variant and
the on/off ratios for `POST /v1/courses` and `GET /v1/courses/{id}`.

Run: `.venv/bin/python -m bench.observability_bench --rounds 3 --posts 100 --reads 600`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import threading
import time

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.dev_auth import ensure_keypair, mint_session_token
from bench.load import percentile
from bench.stack import BenchStack, free_port
from cli.ports import wait_for_port
from studyflow.settings import Settings


class OtlpSink:
    """Accepts OTLP/HTTP trace exports and counts them, like a collector that drops everything."""

    def __init__(self) -> None:
        self.port = free_port()
        self.exports = 0

    async def _traces(self, request: Request) -> Response:
        await request.body()
        self.exports += 1
        return Response(status_code=200)

    def start(self) -> OtlpSink:
        app = Starlette(routes=[Route("/v1/traces", self._traces, methods=["POST"])])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        wait_for_port("127.0.0.1", self.port, 10)
        return self


async def _measure(http: httpx.AsyncClient, headers: list[dict], posts: int, reads: int, concurrency: int):
    post_ms: list[float] = []
    get_ms: list[float] = []
    created: list[tuple[str, int]] = []
    limit = asyncio.Semaphore(concurrency)

    async def post(index: int) -> None:
        async with limit:
            started = time.perf_counter()
            response = await http.post(
                "/v1/courses", json={"topic": f"observed topic {index}"}, headers=headers[index % len(headers)]
            )
            post_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 202, response.text
            created.append((response.json()["course_id"], index % len(headers)))

    async def get(_: int) -> None:
        async with limit:
            course_id, user = random.choice(created)
            started = time.perf_counter()
            response = await http.get(f"/v1/courses/{course_id}", headers=headers[user])
            get_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200

    await asyncio.gather(*[post(i) for i in range(posts)])
    await asyncio.gather(*[get(i) for i in range(reads)])
    return post_ms, get_ms


async def run(rounds: int, posts: int, reads: int, concurrency: int) -> None:
    sink = OtlpSink().start()
    common = {"BACKGROUND_NOTES_ENABLED": "false", "RATE_LIMIT_BURST": "100000", "RATE_LIMIT_PER_MINUTE": "10000000"}
    with BenchStack(start_api=False, extra_env=common) as stack:
        ports = {"off": free_port(), "on": free_port()}
        variants = {
            "off": {"METRICS_ENABLED": "false"},
            "on": {"METRICS_ENABLED": "true", "OTLP_ENDPOINT": f"http://127.0.0.1:{sink.port}"},
        }
        for name, env in variants.items():
            stack._spawn(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "api.app:app",
                    "--port",
                    str(ports[name]),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                env,
            )
            if not wait_for_port("127.0.0.1", ports[name], 60):
                raise RuntimeError(f"the {name} API did not start")
        settings = Settings(_env_file=None, data_dir=stack.data_dir)
        private_pem, _ = ensure_keypair(settings.dev_key_dir)
        headers = [{"Authorization": f"Bearer {mint_session_token(private_pem, f'observed-{n}')}"} for n in range(8)]
        samples = {name: ([], []) for name in variants}
        clients = {
            name: httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", timeout=30, limits=httpx.Limits(max_connections=concurrency * 2)
            )
            for name, port in ports.items()
        }
        try:
            for http in clients.values():  # warm-up: connections, users, code paths
                await _measure(http, headers, 10, 50, concurrency)
            for _ in range(rounds):
                for name, http in clients.items():
                    post_ms, get_ms = await _measure(http, headers, posts, reads, concurrency)
                    samples[name][0].extend(post_ms)
                    samples[name][1].extend(get_ms)
        finally:
            for http in clients.values():
                await http.aclose()

    print(
        f"\nobservability overhead: {rounds} alternating rounds, concurrency {concurrency}; OTLP "
        f"exports received: {sink.exports}"
    )
    for label, index in (("POST /v1/courses", 0), ("GET /v1/courses/{id}", 1)):
        off, on = samples["off"][index], samples["on"][index]
        p50_off, p99_off, p50_on, p99_on = (
            percentile(off, 50),
            percentile(off, 99),
            percentile(on, 50),
            percentile(on, 99),
        )
        print(
            f"{label:<22} off p50 {p50_off:7.2f} ms p99 {p99_off:7.2f} ms | on p50 {p50_on:7.2f} "
            f"ms p99 {p99_on:7.2f} ms"
            f" | ratio p50 {p50_on / p50_off:5.2f}x p99 {p99_on / p99_off:5.2f}x  (n={len(off)}+{len(on)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--reads", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.posts, args.reads, args.concurrency))


if __name__ == "__main__":
    main()
