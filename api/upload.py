"""Receive one uploaded file into a temporary file, refusing it (413) as soon as the body grows
past the limit: a hostile client cannot make the API read gigabytes first."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from api.errors import ApiError
from studyflow.sizes import human_size

# Multipart framing and the small text fields around the file.
_FRAMING_BYTES = 64 * 1024
# An upload route's `max_body_size`: the app-wide limit is for JSON; `receive_upload` checks
# the route's own limit (SOURCE_MAX_BYTES, SESSION_MAX_BYTES) while reading.
UPLOAD_CEILING_BYTES = 1 << 40


@dataclass(frozen=True)
class ReceivedFile:
    path: Path
    filename: str | None
    size: int
    fields: dict[str, str] = field(default_factory=dict)  # the form's text fields beside the file


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"the file is larger than the {human_size(limit)} upload limit")


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for block in request.stream():
        received += len(block)
        if received > limit + _FRAMING_BYTES:
            raise _too_large(limit)
        yield block


async def receive_upload(request: Request, limit: int, directory: Path, max_fields: int = 5) -> ReceivedFile:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + _FRAMING_BYTES:
        raise _too_large(limit)
    parser = MultiPartParser(request.headers, _limited(request, limit), max_files=1, max_fields=max_fields)
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise ApiError(400, f"malformed multipart body: {error}") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        await form.close()
        raise ApiError(422, "file: send the file in a multipart field named 'file'")
    fields = {name: value for name, value in form.multi_items() if isinstance(value, str)}
    try:
        path = directory / "upload"
        size = await asyncio.to_thread(_copy, upload, path)
    finally:
        await form.close()
    if size > limit:
        raise _too_large(limit)
    return ReceivedFile(path=path, filename=upload.filename, size=size, fields=fields)


async def discard_body(request: Request, limit: int) -> None:
    """Read and drop the body of an upload refused before it was read (a learner over their rate
    limit). The client is sending it regardless: draining costs little, where parsing the form,
    spooling and hashing it cost ~15 ms of CPU per MB (`bench/refusal_bench.py`); a connection
    closed under the client instead would show it a broken pipe rather than the 429."""
    received = 0
    async for block in request.stream():
        received += len(block)
        if received > limit + _FRAMING_BYTES:
            return  # past any upload we accept: the connection closes with the answer


def _copy(upload: UploadFile, path: Path) -> int:
    upload.file.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(upload.file, out, 1024 * 1024)
    return path.stat().st_size
