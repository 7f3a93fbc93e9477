"""Plain text in paragraph groups of about 300 words, locator {"line"}."""

from __future__ import annotations

from pathlib import Path

from activities.sources.extracted import Extracted, ReadLimits, Section, window_of

GROUP_WORDS = 300


def sections_of(text: str) -> list[Section]:
    sections: list[Section] = []
    group: list[str] = []
    words = 0
    group_start = paragraph_start = 1
    paragraph: list[str] = []

    def flush_group() -> None:
        nonlocal group, words
        if group:
            sections.append(Section(unit=len(sections), text="\n\n".join(group), locator={"line": group_start}))
        group, words = [], 0

    def end_paragraph() -> None:
        nonlocal paragraph, words, group_start
        body = " ".join(" ".join(paragraph).split())
        paragraph = []
        if not body:
            return
        if not group:
            group_start = paragraph_start
        group.append(body)
        words += len(body.split())
        if words >= GROUP_WORDS:
            flush_group()

    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not paragraph:
                paragraph_start = number
            paragraph.append(line)
        else:
            end_paragraph()
    end_paragraph()
    flush_group()
    return sections


def read(path: Path, window: tuple[int, int] | None, limits: ReadLimits) -> Extracted:  # noqa: ARG001
    sections = sections_of(path.read_text(encoding="utf-8", errors="replace"))
    return Extracted(units=len(sections), sections=[sections[i] for i in window_of(len(sections), window)])
