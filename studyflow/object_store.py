"""Where learners' uploads live. Content-addressed per owner, so the same file uploaded twice is
stored once and a retried write changes nothing. Local files by default (`LocalObjectStore`), or
an S3-compatible bucket (`studyflow/s3_object_store.py`) chosen by OBJECT_STORE."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol


def object_key(owner_id: uuid.UUID, content_hash: str) -> str:
    return f"{owner_id}/{content_hash[:6]}/{content_hash}"


def file_content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def url_content_hash(url: str) -> str:
    """A URL source is one per learner and address, before its content is known (and its key can
    never equal a file's, so deleting one never deletes the other's bytes)."""
    return "url-" + hashlib.sha256(url.encode()).hexdigest()


class ObjectStore(Protocol):
    """Blocking calls: async callers run them in a thread."""

    def put(self, key: str, file_path: Path) -> None: ...

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A path to the object's bytes on this machine for as long as the block runs."""
        ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def keys(self) -> Iterator[str]:
        """Every stored key (backups walk the whole store)."""
        ...


class LocalObjectStore:
    def __init__(self, root: Path):
        self._root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve()
        if self._root.resolve() not in path.parents:
            raise ValueError(f"object key escapes the store: {key!r}")
        return path

    def put(self, key: str, file_path: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Copy beside the target, then rename: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out, open(file_path, "rb") as source:
                shutil.copyfileobj(source, out, 1024 * 1024)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.exists():
            raise FileNotFoundError(f"object {key!r} is not in the store")
        yield path

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def keys(self) -> Iterator[str]:
        if not self._root.exists():
            return
        for path in sorted(self._root.rglob("*")):
            # Half-written uploads (`.upload-*` beside their target) are not objects yet.
            if path.is_file() and not path.name.startswith(".upload-"):
                yield path.relative_to(self._root).as_posix()


def object_store_from(settings) -> ObjectStore:
    if settings.object_store == "s3":
        from studyflow.s3_object_store import S3ObjectStore

        return S3ObjectStore.from_settings(settings)
    return LocalObjectStore(settings.source_store_root)
