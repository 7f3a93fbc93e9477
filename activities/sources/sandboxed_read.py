"""Run a reader in its own bounded process, from async code without blocking the event loop."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from activities.errors import SourceUnreadableError
from activities.sources.extract_child import TOO_LARGE
from activities.sources.extracted import Extracted

TOOK_TOO_LONG = (
    "Reading this file took longer than we allow ({seconds:g} s for {what}). It may be very large or "
    "unusually complex; split it into smaller files and upload those."
)


@dataclass(frozen=True)
class SandboxLimits:
    timeout_seconds: float
    memory_mb: int
    page_timeout_seconds: float
    unpacked_max_bytes: int

    @classmethod
    def from_settings(cls, settings) -> SandboxLimits:
        return cls(
            timeout_seconds=settings.source_extract_timeout_seconds,
            memory_mb=settings.source_extract_memory_mb,
            page_timeout_seconds=settings.source_page_timeout_seconds,
            unpacked_max_bytes=settings.source_unpacked_max_mb * 1024 * 1024,
        )


async def read_in_sandbox(fmt: str, path: Path, window: tuple[int, int] | None, limits: SandboxLimits) -> Extracted:
    """Raises SourceUnreadableError (with the learner's message) when the file cannot be read;
    any other failure (the process crashed for a reason of ours) is an ordinary, retryable error."""
    job = {
        "format": fmt,
        "path": str(path),
        "window": list(window) if window is not None else None,
        "memory_mb": limits.memory_mb,
        "page_timeout_seconds": limits.page_timeout_seconds,
        "unpacked_max_bytes": limits.unpacked_max_bytes,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "activities.sources.extract_child",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(json.dumps(job).encode()), limits.timeout_seconds)
    except TimeoutError:
        process.kill()
        await process.wait()
        what = "the whole file" if window is None else f"units {window[0] + 1}-{window[1]}"
        raise SourceUnreadableError(TOOK_TOO_LONG.format(seconds=limits.timeout_seconds, what=what)) from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    returncode = await process.wait()  # at once: communicate() has reaped it
    if returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {returncode}"]
        if "MemoryError" in tail[0] or returncode < 0:
            raise SourceUnreadableError(TOO_LARGE)
        raise RuntimeError(f"the reader process failed: {tail[0]}")
    answer = json.loads(out)
    if "error" in answer:
        raise SourceUnreadableError(answer["error"]["message"])
    return Extracted.from_json(answer)
