"""Word documents with python-docx, split at heading-styled paragraphs, locator {"heading"} and
the "chapter" it belongs to (Title, Heading 1, Heading 2… as levels: `heading_levels`).
The archive is measured before it is opened: a small file that unpacks to gigabytes is refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx

from activities.sources.extracted import Extracted, ReadLimits, Section, Unreadable, window_of
from activities.sources.readers.heading_levels import Place

DAMAGED = "This Word document is damaged and cannot be read. Save it again as .docx and upload the new copy."


def _check_unpacked_size(path: Path, limit: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as error:
        raise Unreadable("damaged", DAMAGED) from error
    if unpacked > limit:
        raise Unreadable(
            "too_large",
            f"This document unpacks to {unpacked // (1024 * 1024)} MB, more than the {limit // (1024 * 1024)} MB "
            "we read. Split it into smaller documents and upload those.",
        )


def read(path: Path, window: tuple[int, int] | None, limits: ReadLimits) -> Extracted:
    _check_unpacked_size(path, limits.unpacked_max_bytes)
    try:
        document = docx.Document(str(path))
    except Exception as error:  # python-docx raises many types for a broken package
        raise Unreadable("damaged", DAMAGED) from error
    paragraphs = []
    for paragraph in document.paragraphs:
        text = " ".join(paragraph.text.split())
        if text:
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            paragraphs.append((_level(style), text))
    place = Place([level for level, _ in paragraphs if level is not None])
    sections: list[Section] = []
    body: list[str] = []

    def close() -> None:
        text = "\n\n".join(body).strip()
        if text:
            sections.append(Section(unit=len(sections), text=text, locator=place.fields()))

    for level, text in paragraphs:
        if level is not None:
            close()
            place.enter(level, text[:200])
            body = [text]
        else:
            body.append(text)
    close()
    return Extracted(
        units=len(sections), sections=[sections[i] for i in window_of(len(sections), window)], title=place.title
    )


def _level(style: str) -> int | None:
    """Title is level 0, "Heading N" level N; other styles are body text."""
    if style == "Title":
        return 0
    if style.startswith("Heading"):
        number = style.removeprefix("Heading").strip()
        return int(number) if number.isdigit() else 1
    return None
