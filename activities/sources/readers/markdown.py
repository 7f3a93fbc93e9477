"""Markdown split at its headings: one unit per section, locator {"heading", "line"}."""

from __future__ import annotations

import re
from pathlib import Path

from activities.sources.extracted import Extracted, ReadLimits, Section, window_of

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$")


def sections_of(text: str) -> list[Section]:
    sections: list[Section] = []
    heading, start, lines = None, 1, []

    def close() -> None:
        body = "\n".join(lines).strip()
        if body:
            locator = {"heading": heading, "line": start} if heading else {"line": start}
            sections.append(Section(unit=len(sections), text=body, locator=locator))

    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match:
            close()
            heading, start, lines = match.group(2).strip()[:200], number, [line]
        else:
            lines.append(line)
    close()
    return sections


def read(path: Path, window: tuple[int, int] | None, limits: ReadLimits) -> Extracted:  # noqa: ARG001
    sections = sections_of(path.read_text(encoding="utf-8", errors="replace"))
    return Extracted(units=len(sections), sections=[sections[i] for i in window_of(len(sections), window)])
