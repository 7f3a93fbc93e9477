"""One reader per format; each turns a file into sections with locators."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from activities.sources.extracted import Extracted, ReadLimits


def reader_for(fmt: str) -> Callable[[Path, tuple[int, int] | None, ReadLimits], Extracted]:
    # Imported on demand: the child process that reads a file loads only its format's library.
    if fmt == "pdf":
        from activities.sources.readers.pdf import read
    elif fmt == "markdown":
        from activities.sources.readers.markdown import read
    elif fmt == "text":
        from activities.sources.readers.plain_text import read
    elif fmt == "html":
        from activities.sources.readers.html import read
    elif fmt == "docx":
        from activities.sources.readers.docx import read
    elif fmt == "transcript":
        from activities.sources.readers.transcript import read
    else:
        raise ValueError(f"no reader for format {fmt!r}")
    return read
