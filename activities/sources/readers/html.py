"""Web pages with trafilatura: the main text (no menus, ads, footers) as Markdown, split at its
headings like a Markdown upload."""

from __future__ import annotations

from pathlib import Path

import trafilatura

from activities.sources.extracted import Extracted, ReadLimits, Unreadable, window_of
from activities.sources.readers.markdown import structured

NO_TEXT = "We found no readable text on this page (it may need JavaScript, or be mostly images)."


def read(path: Path, window: tuple[int, int] | None, limits: ReadLimits) -> Extracted:  # noqa: ARG001
    html = path.read_bytes()
    # A hostile page's size is bounded by the upload limit, its parse by the process's memory cap.
    markdown = trafilatura.extract(html, output_format="markdown", include_formatting=True, include_comments=False)
    if not markdown or not markdown.strip():
        raise Unreadable("no_text", NO_TEXT)
    metadata = trafilatura.extract_metadata(html)
    title = (metadata.title or "").strip() if metadata else ""
    sections, first_heading = structured(markdown)
    return Extracted(
        units=len(sections),
        sections=[sections[i] for i in window_of(len(sections), window)],
        title=(title or first_heading or "")[:300] or None,
    )
