"""The operator interface (SPEC §2): the `studyflow` console script and its subcommands."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import build_parser

REPO = Path(__file__).resolve().parents[1]


def test_every_documented_subcommand_exists():
    parser = build_parser()
    for argv in (["dev"], ["api"], ["worker"], ["migrate"], ["token", "alice"], ["apply-schedules"]):
        assert parser.parse_args(argv).func


def _studyflow(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    console_script = Path(sys.executable).parent / "studyflow"
    return subprocess.run([str(console_script), *args], env=env, capture_output=True, text=True, cwd=REPO, timeout=60)


async def test_token_command_mints_a_token_the_api_accepts(api, tmp_path):
    env = {**os.environ, "DATA_DIR": str(api.settings.data_dir)}
    result = _studyflow("token", "cli_user_1", env=env)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    response = await api.http.get("/v1/me/stats", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_token_command_refuses_when_clerk_is_configured(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path), "CLERK_JWT_KEY": "-----BEGIN PUBLIC KEY-----x"}
    result = _studyflow("token", "alice", env=env)
    assert result.returncode == 2
    assert "Clerk keys are configured" in result.stderr


def test_migrate_without_a_database_names_the_missing_setting(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = _studyflow("migrate", env={**env, "DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr


@pytest.mark.parametrize(
    ("setting", "name", "offset"),
    [
        ("API_PORT", "API port", 0),
        ("TEMPORAL_METRICS_PORT", "worker's Temporal metrics port", 0),
        ("WORKER_METRICS_PORT", "worker's metrics port", 0),
        # The other worker processes' ports sit above the worker's: the setting moves them too.
        ("WORKER_METRICS_PORT", "cpu worker's metrics port", 2),
        ("TEMPORAL_METRICS_PORT", "background worker's Temporal metrics port", 4),
    ],
)
def test_dev_refuses_a_taken_port_with_a_clear_message(tmp_path, setting, name, offset):
    """Every port the stack binds is checked before anything starts, the worker processes' metrics
    ports included (a second stack used to crash the worker with a Rust "Address already in use"
    after "studyflow is up"); a server on all interfaces takes the port too."""
    import socket

    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        port = sock.getsockname()[1]
        env = {**os.environ, "DATA_DIR": str(tmp_path), setting: str(port - offset)}
        result = _studyflow("dev", env=env)
    assert result.returncode != 0
    # Every taken port is named in one list: another process may hold a neighbouring one too.
    taken = re.search(r"cannot start: (.+) already in use", result.stderr)
    assert taken, result.stderr
    assert f"{name} {port}" in taken[1].split(", "), result.stderr
    assert setting in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "pg").exists(), "nothing starts before the ports are checked"


def test_token_uses_the_running_stacks_data_directory(tmp_path, monkeypatch):
    """`make token` without DATA_DIR signs with the key of the stack running from this checkout
    and says which directory it used; with no stack it says it made a new key."""
    from cli import running_stack
    from studyflow.settings import Settings

    stack_dir = tmp_path / "stack-data"
    monkeypatch.chdir(tmp_path)
    running_stack.record(Settings(_env_file=None, data_dir=stack_dir))
    try:
        env = {k: v for k, v in os.environ.items() if k != "DATA_DIR"}
        # The record names this test's process, alive while the command runs.
        result = subprocess.run(
            [str(Path(sys.executable).parent / "studyflow"), "token", "alice"],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert f"using the running stack's data directory {stack_dir}" in result.stderr
        assert (stack_dir / "dev-auth" / "private.pem").exists()
        assert not (tmp_path / ".data").exists()
    finally:
        running_stack.forget(Settings(_env_file=None, data_dir=stack_dir))
    fresh = subprocess.run(
        [str(Path(sys.executable).parent / "studyflow"), "token", "alice"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert fresh.returncode == 0
    assert "created a new signing key" in fresh.stderr


def test_migrate_wait_returns_once_the_database_is_at_head(database_url, tmp_path):
    from tests.support.databases import empty_database

    env = {**os.environ, "DATA_DIR": str(tmp_path), "DATABASE_URL": database_url}
    ready = _studyflow("migrate", "--wait", "5", env=env)
    assert ready.returncode == 0, ready.stderr
    with empty_database(database_url) as behind:
        waiting = _studyflow("migrate", "--wait", "1", env={**env, "DATABASE_URL": behind})
    assert waiting.returncode == 1
    assert "behind this release's head revision" in waiting.stderr


def test_an_expected_retry_is_one_log_line_and_the_bundled_model_has_no_price_warning(caplog):
    """The first run used to print a traceback per quality-gate retry and "no price for model
    'smollm2-135m-instruct'" on the default setup."""
    import logging

    import temporalio.activity

    from activities.llm.errors import LlmOutputInvalidError
    from studyflow import llm_prices
    from studyflow.logs import quiet_expected_retries

    quiet_expected_retries()
    logger = logging.getLogger("temporalio.activity")
    with caplog.at_level(logging.DEBUG):
        for error in (LlmOutputInvalidError("the outline the model wrote is unusable: empty"), RuntimeError("boom")):
            try:
                raise error
            except Exception:
                logger.warning(
                    "Completing activity as failed",
                    exc_info=True,
                    extra={"temporal_activity": {"activity_type": "write_outline", "attempt": 2}},
                )
        llm_prices.call_cost({}, "smollm2-135m-instruct", 10, 10)
    expected, unexpected = [r for r in caplog.records if r.name == "temporalio.activity"]
    assert expected.getMessage() == (
        "activity write_outline attempt 2 failed (LlmOutputInvalidError: the outline the model wrote is "
        "unusable: empty); Temporal retries it by its policy"
    )
    assert expected.exc_info is None and expected.levelname == "INFO"
    assert unexpected.exc_info is not None, "an unexpected failure keeps its traceback"
    assert not [r for r in caplog.records if "no price" in r.getMessage()]
    assert temporalio.activity.logger.logger is logger
