"""Markdown split at its headings: one unit per section, locator {"heading", "line"} and the
"chapter" the heading belongs to (`heading_levels`)."""

from __future__ import annotations

import re
from pathlib import Path

from activities.sources.extracted import Extracted, ReadLimits, Section, window_of
from activities.sources.readers.heading_levels import Place

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$")


def _headings(lines: list[str]) -> list[tuple[int, int, str] | None]:
    """Per line: (level, line number, text) when it is a heading outside a code fence."""
    found: list[tuple[int, int, str] | None] = []
    in_fence = False
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        found.append((len(match.group(1)), number, match.group(2).strip()[:200]) if match else None)
    return found


def sections_of(text: str) -> list[Section]:
    return structured(text)[0]


def structured(text: str) -> tuple[list[Section], str | None]:
    """The sections, and the document's title when its first heading is one."""
    lines = text.splitlines()
    headings = _headings(lines)
    place = Place([h[0] for h in headings if h])
    sections: list[Section] = []
    start = 1
    body: list[str] = []

    def close() -> None:
        content = "\n".join(body).strip()
        if content:
            sections.append(Section(unit=len(sections), text=content, locator={**place.fields(), "line": start}))

    for line, heading in zip(lines, headings, strict=True):
        if heading:
            close()
            level, start, title = heading
            place.enter(level, title)
            body = [line]
        else:
            body.append(line)
    close()
    return sections, place.title


def read(path: Path, window: tuple[int, int] | None, limits: ReadLimits) -> Extracted:  # noqa: ARG001
    sections, title = structured(path.read_text(encoding="utf-8", errors="replace"))
    return Extracted(units=len(sections), sections=[sections[i] for i in window_of(len(sections), window)], title=title)
