"""A backup's manifest: what it holds and the SHA-256 of every file, so a restore can prove it
restores what was taken (a truncated copy or a flipped bit is refused before anything is written)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST = "manifest.json"
FORMAT = 1


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class FileEntry:
    path: str  # relative to the backup directory
    size: int
    sha256: str


@dataclass
class Manifest:
    created_at: str
    alembic_revision: str | None
    postgres_server_major: int
    pg_dump: str
    object_store: str
    database_files: list[FileEntry] = field(default_factory=list)
    objects: list[FileEntry] = field(default_factory=list)  # path: objects/<key>
    objects_missing: list[str] = field(default_factory=list)  # referenced, gone from the store
    seconds: dict[str, float] = field(default_factory=dict)
    format: int = FORMAT

    @property
    def database_bytes(self) -> int:
        return sum(entry.size for entry in self.database_files)

    @property
    def object_bytes(self) -> int:
        return sum(entry.size for entry in self.objects)

    def write(self, directory: Path) -> None:
        (directory / MANIFEST).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        if not path.exists():
            raise ValueError(f"{directory} is not a studyflow backup: no {MANIFEST}")
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: backup format {data.get('format')!r}, this release reads {FORMAT}")
        data["database_files"] = [FileEntry(**entry) for entry in data["database_files"]]
        data["objects"] = [FileEntry(**entry) for entry in data["objects"]]
        return cls(**data)


def entry_for(directory: Path, path: Path) -> FileEntry:
    return FileEntry(path=path.relative_to(directory).as_posix(), size=path.stat().st_size, sha256=sha256_of(path))


def verify(directory: Path, manifest: Manifest) -> list[str]:
    """Every listed file present with its size and checksum; nothing else in the database dump."""
    problems = []
    for entry in manifest.database_files + manifest.objects:
        path = directory / entry.path
        if not path.is_file():
            problems.append(f"{entry.path}: missing")
        elif path.stat().st_size != entry.size or sha256_of(path) != entry.sha256:
            problems.append(f"{entry.path}: checksum mismatch")
    listed = {entry.path for entry in manifest.database_files}
    dumped = {p.relative_to(directory).as_posix() for p in (directory / "database").rglob("*") if p.is_file()}
    problems += [f"{path}: not in the manifest" for path in sorted(dumped - listed)]
    return problems
