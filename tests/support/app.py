"""Building the app under test: settings pointed at the session's servers, and an HTTP client
bound to an app instance (in process, through httpx's ASGI transport)."""

from __future__ import annotations

import tempfile
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
from temporalio.client import Client

from api.app import create_app
from api.dev_auth import ensure_keypair, mint_session_token
from studyflow.settings import Settings
from tests.support.scripted_openai import ScriptedOpenAI

MODEL_CACHE = Path(tempfile.gettempdir()) / "studyflow-test-models"


def make_settings(database_url: str, llm_server: ScriptedOpenAI, data_dir: Path, **overrides) -> Settings:
    suffix = uuid.uuid4().hex[:8]
    values = dict(
        database_url=database_url,
        temporal_address="unused: tests hand the client in",
        data_dir=data_dir,
        task_queue_interactive=f"test-interactive-{suffix}",
        task_queue_background=f"test-background-{suffix}",
        task_queue_cpu=f"test-cpu-{suffix}",
        # One ONNX export per machine, not one per test's data directory (keyed by the model's hash).
        model_cache_dir=MODEL_CACHE,
        openai_api_key="sk-test-primary",
        openai_base_url=llm_server.base_url("primary"),
        openai_model="primary-model",
        openai_fallback_api_key="sk-test-fallback",
        openai_fallback_base_url=llm_server.base_url("fallback"),
        openai_fallback_model="fallback-model",
        llm_timeout_seconds=3,
        llm_max_attempts=3,
        llm_retry_initial_seconds=0.05,
        llm_retry_max_seconds=0.2,
        free_courses_per_day=1000,
        free_study_content_per_day=1000,
        rate_limit_burst=1000,
        rate_limit_per_minute=60000,
        # Every other LLM-spending path's limit too: tests of a limit lower the one they test.
        chat_rate_burst=1000,
        chat_rate_per_minute=60000,
        conversation_rate_burst=1000,
        conversations_per_hour=60000,
        remediation_rate_burst=1000,
        remediations_per_hour=60000,
        suggestions_burst=1000,
        suggestions_per_day=60000,
        goal_rate_burst=1000,
        goals_per_hour=60000,
        quiz_attempts_burst=1000,
        quiz_attempts_per_hour=60000,
        # Refusals answered at once: the tests that meet a limit send on at once (one test holds them).
        refusal_delay_seconds=0,
        # Quizzes as the tests of issue 34's time wrote them (multiple choice); the grading tests
        # ask for short-answer items.
        quiz_short_answers=0,
        grading_rate_burst=1000,
        gradings_per_hour=60000,
        background_notes_enabled=False,
        source_url_allow_private=True,  # the test web server listens on loopback
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class ApiClient:
    http: httpx.AsyncClient
    settings: Settings
    app: object

    def token(self, user_id: str, **kwargs) -> str:
        private_pem, _ = ensure_keypair(self.settings.dev_key_dir)
        return mint_session_token(private_pem, user_id, **kwargs)

    def auth(self, user_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id)}"}


async def open_api_client(
    stack: AsyncExitStack, settings: Settings, temporal_env, *, temporal_client: Client | None = None
) -> ApiClient:
    """`temporal_client` replaces the session's client, e.g. one that cannot start workflows."""
    app = create_app(settings, temporal_client=temporal_client or temporal_env.client)
    await stack.enter_async_context(app.router.lifespan_context(app))
    http = await stack.enter_async_context(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")
    )
    return ApiClient(http=http, settings=settings, app=app)
