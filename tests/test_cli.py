"""The operator interface (SPEC §2): the `studyflow` console script and its subcommands."""

from __future__ import annotations

import os
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


@pytest.mark.parametrize("taken", ["api"])
def test_dev_refuses_a_taken_port_with_a_clear_message(tmp_path, taken):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        env = {**os.environ, "DATA_DIR": str(tmp_path), "API_PORT": str(port)}
        result = _studyflow("dev", env=env)
    assert result.returncode != 0
    assert f"API port {port} already in use" in result.stderr


def test_migrate_wait_returns_once_the_database_is_at_head(database_url, tmp_path):
    from tests.support.databases import empty_database

    env = {**os.environ, "DATA_DIR": str(tmp_path), "DATABASE_URL": database_url}
    ready = _studyflow("migrate", "--wait", "5", env=env)
    assert ready.returncode == 0, ready.stderr
    with empty_database(database_url) as behind:
        waiting = _studyflow("migrate", "--wait", "1", env={**env, "DATABASE_URL": behind})
    assert waiting.returncode == 1
    assert "behind this release's head revision" in waiting.stderr
