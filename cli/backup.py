"""`studyflow backup DIR`: a consistent copy of everything studyflow keeps — the PostgreSQL database
(pg_dump, directory format) and the uploads it references in the object store — with a manifest
of SHA-256 checksums. Temporal's state is not in it: see docs/backups.md for what that means.

Consistency: the dump and the list of uploads to copy are read from one exported snapshot, so the
backup holds exactly the objects the dumped rows reference, however much the service writes
meanwhile. An upload deleted between the snapshot and its copy is listed as missing (its source
was being deleted anyway)."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from cli import pg_tools
from cli.backup_manifest import Manifest, entry_for
from db.engine import libpq_url
from studyflow.object_store import ObjectStore


def take_backup(database_url: str, store: ObjectStore, store_kind: str, destination: Path) -> Manifest:
    if destination.exists() and any(destination.iterdir()):
        raise ValueError(f"{destination} is not empty: a backup goes into a new directory")
    destination.mkdir(parents=True, exist_ok=True)
    url = libpq_url(database_url)
    started = time.monotonic()
    with psycopg.connect(url) as snapshot:
        # Held open until the dump has started from it: pg_dump sees this transaction's snapshot.
        snapshot.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot.read_only = True
        server_major = pg_tools.server_major(snapshot)
        exported = snapshot.execute("SELECT pg_export_snapshot()").fetchone()
        assert exported is not None, "a SELECT without FROM returns one row"
        snapshot_id = exported[0]
        revision = snapshot.execute("SELECT version_num FROM alembic_version").fetchone()
        keys = [
            row[0]
            for row in snapshot.execute(
                "SELECT DISTINCT object_key FROM sources WHERE object_key IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
        pg_dump = pg_tools.find("pg_dump", server_major)
        subprocess.run(
            [
                str(pg_dump.path),
                "--format=directory",
                "--jobs=2",
                f"--snapshot={snapshot_id}",
                "--no-owner",
                "--no-privileges",
                f"--file={destination / 'database'}",
                f"--dbname={url}",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    dumped = time.monotonic()
    manifest = Manifest(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        alembic_revision=revision[0] if revision else None,
        postgres_server_major=server_major,
        pg_dump=pg_dump.describe(),
        object_store=store_kind,
    )
    manifest.database_files = [
        entry_for(destination, path) for path in sorted((destination / "database").rglob("*")) if path.is_file()
    ]
    for key in keys:
        target = destination / "objects" / key
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with store.local_copy(key) as path:
                target.write_bytes(path.read_bytes())
        except FileNotFoundError:
            manifest.objects_missing.append(key)
            continue
        manifest.objects.append(entry_for(destination, target))
    manifest.seconds = {
        "database": round(dumped - started, 2),
        "objects": round(time.monotonic() - dumped, 2),
        "total": round(time.monotonic() - started, 2),
    }
    manifest.write(destination)
    return manifest
