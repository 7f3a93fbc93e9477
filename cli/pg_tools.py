"""Which pg_dump / pg_restore to run. A client older than the server refuses to dump it, and the
machine's own (Debian 12: PostgreSQL 15) can be older than the server (the embedded one is 16): so
the binaries the `pgserver` package ships (16) come first, then PATH."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PgTool:
    path: Path
    major: int
    source: str  # "pgserver" or "PATH"

    def describe(self) -> str:
        return f"{self.path} (PostgreSQL {self.major}, from {self.source})"


def _bundled_dir() -> Path | None:
    try:
        import pgserver
    except ImportError:
        return None
    directory = Path(pgserver.__file__).parent / "pginstall" / "bin"
    return directory if directory.is_dir() else None


def _major(path: Path) -> int:
    out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"\) (\d+)", out) or re.search(r"(\d+)\.\d+", out)
    if not match:
        raise RuntimeError(f"cannot tell the version of {path}: {out!r}")
    return int(match.group(1))


def find(name: str, server_major: int | None = None) -> PgTool:
    """The newest of the candidates, which must be at least the server's major version."""
    candidates = []
    bundled = _bundled_dir()
    if bundled and (bundled / name).exists():
        candidates.append(PgTool(bundled / name, _major(bundled / name), "pgserver"))
    on_path = shutil.which(name)
    if on_path:
        candidates.append(PgTool(Path(on_path), _major(Path(on_path)), "PATH"))
    if not candidates:
        raise RuntimeError(f"{name} not found: install the PostgreSQL client tools or the pgserver package")
    best = max(candidates, key=lambda tool: tool.major)  # stable: pgserver's wins a tie
    if server_major is not None and best.major < server_major:
        raise RuntimeError(
            f"{name} {best.major} ({best.path}) cannot handle a PostgreSQL {server_major} server: "
            f"install the PostgreSQL {server_major} client tools"
        )
    return best


def server_major(connection) -> int:
    return int(connection.execute("SHOW server_version_num").fetchone()[0]) // 10000
