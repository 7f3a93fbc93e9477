"""docker-compose.yml's continuous WAL archiving cannot run here (no Docker engine), so its exact
settings run on a PostgreSQL 16 of our own (pgserver's binaries), archive into a directory, and
replay to a point in time from a base backup plus the archive: the recovery docs/backups.md
describes, end to end."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

import psycopg
import yaml

from cli import pg_tools
from cli.ports import wait_for_port
from tests.support.s3_server import _free_port

REPO = Path(__file__).resolve().parents[1]


def _compose_archive_settings(archive: Path) -> list[str]:
    command = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]["postgres"]["command"]
    settings = [item for item in command[1:] if item != "-c"]
    return [s.replace("/wal-archive", str(archive)) for s in settings]


def _bin(name: str) -> str:
    return str(pg_tools.find(name).path)


def _server_user(directory: Path) -> dict:
    """PostgreSQL refuses to run as root: as root, run it as pgserver's own system user (as the
    embedded stack does), owning the test's directory."""
    if os.geteuid() != 0:
        return {}
    from pgserver.utils import ensure_prefix_permissions, ensure_user_exists

    entry = ensure_user_exists("pgserver")
    ensure_prefix_permissions(directory)
    directory.chmod(0o755)
    os.chown(directory, entry.pw_uid, entry.pw_gid)
    return {"user": "pgserver"}


def _run(command: list[str], as_user: dict) -> None:
    subprocess.run(command, check=True, capture_output=True, **as_user)


def _start(data: Path, port: int, settings: list[str], log: Path, as_user: dict) -> None:
    options = " ".join(f"-c {shlex.quote(s)}" for s in [*settings, f"port={port}", "listen_addresses=127.0.0.1"])
    options += f" -c unix_socket_directories={shlex.quote(str(data.parent))}"
    _run([_bin("pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"], as_user)
    assert wait_for_port("127.0.0.1", port, 30)


def _stop(data: Path, as_user: dict) -> None:
    subprocess.run([_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True, **as_user)


def test_the_compose_archive_settings_archive_and_replay_to_a_point_in_time(tmp_path):
    as_user = _server_user(tmp_path)
    archive, primary, replica = tmp_path / "wal-archive", tmp_path / "primary", tmp_path / "replica"
    _run(["mkdir", str(archive)], as_user)
    _run([_bin("initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust"], as_user)
    settings = _compose_archive_settings(archive)
    assert "archive_mode=on" in settings and "archive_timeout=60" in settings
    port = _free_port()
    _start(primary, port, settings, tmp_path / "primary.log", as_user)
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE learners (name text)")
            conn.execute("INSERT INTO learners VALUES ('before the base backup')")
        _run(
            [_bin("pg_basebackup"), "-d", url, "-D", str(tmp_path / "base"), "--wal-method=none", "--checkpoint=fast"],
            as_user,
        )
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO learners VALUES ('kept: committed before the target')")
            time.sleep(1.1)  # recovery targets have a timestamp's resolution
            target = conn.execute("SELECT now()").fetchone()[0]
            time.sleep(1.1)
            conn.execute("INSERT INTO learners VALUES ('lost: committed after the target')")
            segment = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]
            deadline = time.monotonic() + 30
            while not (archive / segment).exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            failed = conn.execute("SELECT failed_count FROM pg_stat_archiver").fetchone()[0]
        assert (archive / segment).exists() and failed == 0
    finally:
        _stop(primary, as_user)

    # Point-in-time recovery: the base backup, the archive, a target time.
    (tmp_path / "base").rename(replica)
    _run(["touch", str(replica / "recovery.signal")], as_user)
    recovery = [
        f"restore_command=cp {archive}/%f %p",
        f"recovery_target_time={target.isoformat()}",
        "recovery_target_action=promote",
    ]
    port = _free_port()
    _start(replica, port, recovery, tmp_path / "replica.log", as_user)
    try:
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        while True:
            with psycopg.connect(url, autocommit=True) as conn:
                if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    names = [row[0] for row in conn.execute("SELECT name FROM learners ORDER BY name")]
                    break
            assert time.monotonic() < deadline, (tmp_path / "replica.log").read_text()
            time.sleep(0.2)
    finally:
        _stop(replica, as_user)
    assert names == ["before the base backup", "kept: committed before the target"]
