"""Where a running `studyflow dev` stack keeps its data, for the commands run beside it.

`make token` signs with the stack's embedded-auth key, which lives under the stack's DATA_DIR: a
token signed with another directory's key is refused (`token-invalid-signature`). The stack
records its data directory per checkout (the directory it was started from), and `studyflow
token` without an explicit DATA_DIR uses the running stack's."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from studyflow.settings import Settings


def _record_path(checkout: Path | None = None) -> Path:
    where = str((checkout or Path.cwd()).resolve())
    key = hashlib.sha256(where.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"studyflow-{os.getuid()}" / f"dev-stack-{key}.json"


def record(settings: Settings) -> None:
    path = _record_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    body = {
        "pid": os.getpid(),
        "data_dir": str(settings.data_dir.resolve()),
        "api": f"http://{settings.api_host}:{settings.api_port}",
    }
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(body))
    tmp.replace(path)


def forget(settings: Settings) -> None:
    path = _record_path()
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def running_data_dir(checkout: Path | None = None) -> Path | None:
    """The data directory of the stack started from this checkout, if it is still running."""
    try:
        body = json.loads(_record_path(checkout).read_text())
        os.kill(int(body["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Path(body["data_dir"])
