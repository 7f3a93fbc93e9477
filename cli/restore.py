"""`studyflow restore DIR`: a backup (cli/backup.py) into an empty database and the configured
object store. Every checksum is verified before anything is written; a database that already has
tables is refused rather than merged into."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psycopg

from cli import pg_tools
from cli.backup_manifest import Manifest, sha256_of, verify
from db.engine import libpq_url
from studyflow.object_store import ObjectStore

_USER_TABLES = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
"""


class RestoreRefused(Exception):
    pass


def restore_backup(source: Path, database_url: str, store: ObjectStore) -> dict[str, object]:
    manifest = Manifest.read(source)
    problems = verify(source, manifest)
    if problems:
        raise RestoreRefused("the backup is damaged; nothing was restored:\n  " + "\n  ".join(problems))
    url = libpq_url(database_url)
    with psycopg.connect(url, autocommit=True) as connection:
        counted = connection.execute(_USER_TABLES).fetchone()
        assert counted is not None, "an aggregate without GROUP BY returns one row"
        tables = counted[0]
        database = connection.info.dbname
        server_major = pg_tools.server_major(connection)
    if tables:
        raise RestoreRefused(
            f"database {database!r} is not empty ({tables} tables, sequences or views): "
            "restore into a newly created database"
        )
    pg_restore = pg_tools.find("pg_restore", max(server_major, manifest.postgres_server_major))
    started = time.monotonic()
    result = subprocess.run(
        [
            str(pg_restore.path),
            "--exit-on-error",
            "--jobs=2",
            "--no-owner",
            "--no-privileges",
            f"--dbname={url}",
            str(source / "database"),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RestoreRefused(f"pg_restore failed ({pg_restore.describe()}):\n{result.stderr.strip()}")
    restored = time.monotonic()
    for entry in manifest.objects:
        path = source / entry.path
        if sha256_of(path) != entry.sha256:  # read again: the file may have changed since verify
            raise RestoreRefused(f"{entry.path}: checksum mismatch")
        store.put(entry.path.removeprefix("objects/"), path)
    return {
        "database": round(restored - started, 2),
        "objects": round(time.monotonic() - restored, 2),
        "total": round(time.monotonic() - started, 2),
        "pg_restore": pg_restore.describe(),
    }
