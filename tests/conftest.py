"""Session-wide real services: PostgreSQL + pgvector, a Temporal dev server, a scripted OpenAI
server, a worker on session-unique task queues, and an API client with minted tokens."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import psycopg
import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from cli.embedded_temporal import temporal_binary
from db import migrate
from db.engine import create_engine, create_session_factory
from studyflow import search_attributes
from studyflow.settings import Settings
from tests.support.app import ApiClient, make_settings, open_api_client
from tests.support.s3_server import S3Server
from tests.support.scripted_openai import ScriptedOpenAI
from tests.support.serving_workers import serving_workers

# --- tiers: `make test` runs them all; `make test-fast` leaves out every marked one ---------------
# Marked here, in one table, rather than test by test: a new slow or process-spawning test is one
# line to add, and the fast tier's promise (no browser, no subprocess, under 90 s) is read here.
TIERS = {
    "browser": ("test_web_browser.py", "test_web_workspace_browser.py"),
    "fuzz": ("test_api_fuzz.py", "test_webhook_fuzz.py"),
    "process": (
        "test_auth.py::test_processes_starting_at_once_agree_on_one_dev_key_pair",
        "test_cli.py",
        "test_lean_reads.py::test_several_api_processes_serve_one_port_and_metrics_count_them_all",
        "test_local_model.py",
        "test_metrics.py::test_a_worker_process_serves_llm_cache_and_sdk_metrics",
        "test_stuck_rows.py::test_an_api_killed_after_answering_but_before_the_start_still_gets_its_course_ready",
        "test_tutor_chat.py::test_a_worker_killed_mid_answer_still_answers_once",
        "test_worker_crash.py",
        "test_backup_restore.py",
        "test_wal_archiving.py",
        "test_k8s_manifests.py",
        "test_layers.py",
        "test_web_build.py",
        "test_demo.py",
        "test_http_edge.py",
        "test_analytics.py::test_the_backfill_command_rolls_a_range_through_the_worker_and_names_bad_ranges",
        "test_sessions.py::test_a_worker_killed_mid_analysis_leaves_one_analysis_and_one_paid_reply_per_window",
        "test_grading.py::test_a_worker_killed_while_the_answer_waits_changes_nothing",
        "test_worker_priority.py",
    ),
    "slow": (
        "test_background_notes.py",
        "test_permission_matrix.py::test_every_private_route_answers_each_role_as_the_policy_says",
        "test_authorization_sweep.py",
        "test_embedders.py::test_onnx_and_torch_embedders_agree_on_1000_texts",
        "test_sessions.py::test_a_two_hour_session_is_analysed_window_by_window",
        "test_stream_limits.py::test_learners_waiting_for_tutor_answers_hold_no_connection",
        "test_extractive_engine.py::test_a_pdf_course_with_the_bundled_model_is_made_from_the_pdf_without_calling_it",
        "test_stuck_rows.py::test_work_temporal_lost_is_restarted_once_from_its_record_then_failed",
    ),
}


# `--dist loadfile` hands files out in collection order. A long file collected late runs alone at
# the end while the other processes idle, so files holding browser, fuzz or slow tests go first
# (longest first, as a scheduler would); a file's own tests keep their order.
HEAVY_FIRST = ("browser", "fuzz", "slow")


def pytest_collection_modifyitems(items):
    rank: dict[Path, int] = {}  # a file's heaviest tier
    for item in items:
        where = item.nodeid.split("/", 1)[-1]
        for marker, names in TIERS.items():
            if any(where == name or where.startswith(name + "::") or where.startswith(name + "[") for name in names):
                item.add_marker(marker)
                if marker in HEAVY_FIRST:
                    rank[item.path] = min(rank.get(item.path, len(HEAVY_FIRST)), HEAVY_FIRST.index(marker))
    # A stable sort: files of one rank, and a file's own tests, keep their collection order.
    items.sort(key=lambda item: rank.get(item.path, len(HEAVY_FIRST)))


# --- PostgreSQL ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A fresh database for the session: on DATABASE_URL's server if set, else embedded pgserver."""
    name = f"studyflow_test_{uuid.uuid4().hex[:10]}"
    server = None
    base_url = os.environ.get("DATABASE_URL")
    if not base_url:
        import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="delete")
        base_url = server.get_uri("postgres")
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(base_url, name)
    migrate.upgrade(url)
    yield url
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if server is not None:
        server.cleanup()


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
async def engine(database_url):
    engine = create_engine(database_url, pool_size=20, max_overflow=40)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def session_factory(engine):
    return create_session_factory(engine)


# --- Temporal -----------------------------------------------------------------------------
@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


# --- LLM ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def llm_server() -> ScriptedOpenAI:
    server = ScriptedOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_llm_script(request):
    """A test's scripted replies end with the test, and the calls it reads are its own."""
    if "llm_server" in request.fixturenames:
        request.getfixturevalue("llm_server").begin_test()
    yield
    if "llm_server" in request.fixturenames:
        request.getfixturevalue("llm_server").clear_rules()


# --- S3-compatible object store -----------------------------------------------------------
@pytest.fixture(scope="session")
def s3_server() -> S3Server:
    server = S3Server().start()
    yield server
    server.stop()


# --- settings, worker, API ----------------------------------------------------------------


@pytest.fixture(scope="session")
def settings(database_url, llm_server, tmp_path_factory) -> Settings:
    return make_settings(database_url, llm_server, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
async def worker(temporal_env, settings, session_factory):
    """One worker for the session, polling the session's task queues."""
    async with serving_workers(temporal_env.client, settings, session_factory) as workers:
        yield workers


@pytest.fixture(scope="session")
async def api(settings, temporal_env, worker) -> AsyncIterator[ApiClient]:
    async with AsyncExitStack() as stack:
        yield await open_api_client(stack, settings, temporal_env)


@pytest.fixture
def user_a() -> str:
    return f"user_a_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def user_b() -> str:
    return f"user_b_{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def stack_with(database_url, llm_server, tmp_path, temporal_env, session_factory):
    """Opens a worker and API of their own (own task queues), with settings changed for one test."""
    async with AsyncExitStack() as stack:

        async def open_stack(**overrides) -> ApiClient:
            settings = make_settings(database_url, llm_server, tmp_path / uuid.uuid4().hex[:6], **overrides)
            await stack.enter_async_context(serving_workers(temporal_env.client, settings, session_factory))
            return await open_api_client(stack, settings, temporal_env)

        yield open_stack


@pytest.fixture
async def isolated(database_url, llm_server, tmp_path, temporal_env, session_factory):
    """An API + worker pair with their own task queues and their own model name, hence their own
    semantic-cache scope: cache tests cannot see entries other tests stored."""
    settings = make_settings(database_url, llm_server, tmp_path, openai_model=f"model-{uuid.uuid4().hex[:8]}")
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(serving_workers(temporal_env.client, settings, session_factory))
        yield await open_api_client(stack, settings, temporal_env)
