"""The process that reads one untrusted file: `python -m activities.sources.extract_child`.

It gets its job as JSON on stdin and answers with JSON on stdout. Its address space is capped
(a decompression bomb ends in MemoryError here, not in the worker) and each page has a time
limit; the parent kills it if the whole read overruns. Nothing here touches the database."""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

TOO_LARGE = (
    "This file needs more memory to read than we allow; it may be very large or built to expand "
    "when opened. Split it into smaller files and upload those."
)


def _cap_memory(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main() -> int:
    job = json.load(sys.stdin)
    _cap_memory(job["memory_mb"])
    from activities.sources.extracted import ReadLimits, Unreadable
    from activities.sources.readers import reader_for

    limits = ReadLimits(page_timeout_seconds=job["page_timeout_seconds"], unpacked_max_bytes=job["unpacked_max_bytes"])
    window = tuple(job["window"]) if job["window"] is not None else None
    try:
        result = reader_for(job["format"])(Path(job["path"]), window, limits).to_json()
    except Unreadable as error:
        result = {"error": {"code": error.code, "message": error.message}}
    except MemoryError:
        result = {"error": {"code": "too_large", "message": TOO_LARGE}}
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
