"""What a refused request costs the API: CPU per request for a learner over their limits, beside
the cheapest authenticated read (`GET /v1/me`) in the same run.

An abusive client is refused thousands of times a minute (`make abuse`: ~75 requests/s, nine in
ten of them 429); on two cores every millisecond a refusal costs is taken from the learners who
are not abusing. Phases, each on one API process at 8 concurrent:

- `GET /v1/me`: the baseline (authentication, one indexed read);
- `POST /v1/courses` refused by the generation rate limit;
- `POST /v1/conversations/{id}/messages` refused by the question rate limit;
- `POST /v1/sources` with a 1 MB file, refused by the generation rate limit.

Prints latency, API CPU ms per request and its ratio to the baseline's.

Run: `.venv/bin/python -m bench.refusal_bench [--requests 2000]`."""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import Awaitable, Callable

import aiohttp

from api.dev_auth import ensure_keypair, mint_session_token
from bench.cpu_share import cpu_share
from bench.load import run_load
from bench.stack import MODEL_CACHE, BenchStack
from studyflow.settings import Settings

CONCURRENCY = 8
UPLOAD = b"# Notes\n\n" + b"word " * (1024 * 1024 // 5)


async def _phase(
    stack: BenchStack, label: str, total: int, send: Callable[[int], Awaitable[int]], expect: int, baseline: float
) -> float:
    statuses: dict[int, int] = {}

    async def request(index: int) -> None:
        status = await send(index)
        statuses[status] = statuses.get(status, 0) + 1

    with cpu_share({"api": stack.api_pid}) as cpu:
        stats = await run_load(request, total, CONCURRENCY)
    per_request = cpu.seconds["api"] * 1000 / stats.count
    ratio = f"{per_request / baseline:4.1f}× GET /v1/me" if baseline else "baseline"
    print(f"{stats.line(label)}  API CPU {per_request:5.2f} ms/request ({ratio})  statuses {statuses}")
    if set(statuses) != {expect}:
        raise SystemExit(f"{label}: expected only {expect}, got {statuses}")
    return per_request


async def run(total: int) -> None:
    # One token and then one an hour: after the first request of a kind, every one is refused.
    limits = {"RATE_LIMIT_BURST": "1", "RATE_LIMIT_PER_MINUTE": "0.0167"}
    limits |= {"CHAT_RATE_BURST": "1", "CHAT_RATE_PER_MINUTE": "0.0167"}
    # Refusals answered at once: held for REFUSAL_DELAY_SECONDS they would cost the same CPU, and
    # the phases would take minutes of sleeping.
    limits |= {"REFUSAL_DELAY_SECONDS": "0"}
    with BenchStack(extra_env=limits, api_processes=1) as stack:
        settings = Settings(_env_file=None, data_dir=stack.data_dir, model_cache_dir=MODEL_CACHE)
        private_pem, _ = ensure_keypair(settings.dev_key_dir)
        token = mint_session_token(private_pem, f"bench-refused-{uuid.uuid4().hex[:6]}")
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(
            base_url=f"http://127.0.0.1:{stack.api_port}",
            headers=headers,
            connector=aiohttp.TCPConnector(limit=CONCURRENCY * 2),
            timeout=aiohttp.ClientTimeout(total=60),
        ) as http:

            async def status(method: str, url: str, **kwargs) -> int:
                async with http.request(method, url, **kwargs) as response:
                    await response.read()
                    return response.status

            async with http.post("/v1/conversations", json={}) as created:
                conversation = (await created.json())["id"]
            # Spend the one token of each bucket.
            await status("POST", "/v1/courses", json={"topic": "Bench refusals"})
            await status(
                "POST", f"/v1/conversations/{conversation}/messages", json={"question": "What is a base case?"}
            )

            async def upload(index: int) -> int:
                form = aiohttp.FormData()
                form.add_field("file", UPLOAD, filename=f"notes-{index}.md", content_type="text/markdown")
                return await status("POST", "/v1/sources", data=form)

            await _phase(stack, "warm-up GET /v1/me", min(total, 500), lambda _: status("GET", "/v1/me"), 200, 0)
            baseline = await _phase(stack, "GET /v1/me", total, lambda _: status("GET", "/v1/me"), 200, 0)
            await _phase(
                stack,
                "POST /v1/courses (429)",
                total,
                lambda n: status("POST", "/v1/courses", json={"topic": f"Refused topic {n}"}),
                429,
                baseline,
            )
            await _phase(
                stack,
                "POST question (429)",
                total,
                lambda n: status(
                    "POST", f"/v1/conversations/{conversation}/messages", json={"question": f"Question {n}?"}
                ),
                429,
                baseline,
            )
            await _phase(stack, "POST /v1/sources 1 MB (429)", max(total // 10, 50), upload, 429, baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per phase (uploads: a tenth)")
    asyncio.run(run(parser.parse_args().requests))


if __name__ == "__main__":
    main()
