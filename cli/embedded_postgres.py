"""Embedded PostgreSQL 16 + pgvector (pgserver), data kept under DATA_DIR between runs."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from platformdirs.api import RuntimeDirWarning

# pgserver puts its lock file under the user runtime dir at import; without XDG_RUNTIME_DIR (a
# container, a plain SSH login) platformdirs falls back to /tmp and warns on every `make dev`:
# the fallback works, so the warning only adds noise to the first run's output.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeDirWarning)
    import pgserver

log = logging.getLogger("studyflow.embedded.postgres")


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, database: str = "studyflow"):
        self._pgdata = (data_dir / "pg").resolve()
        self._database = database
        self._server: pgserver.PostgresServer | None = None

    def start(self) -> str:
        """Start (or attach to) the server, make sure the database exists, return its URL."""
        self._pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self._pgdata, cleanup_mode="stop")
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self._database}';")
        if "1 row" not in exists:
            self._server.psql(f'CREATE DATABASE "{self._database}";')
        return self._server.get_uri(self._database)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
