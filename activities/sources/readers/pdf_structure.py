"""The headings of a PDF, so its sections can be told apart: the bookmark outline when it has one,
else lines set clearly larger and bold than the body text (with "2.1"-style numbering deciding the
level when present). Running headers, footers and a title page are body-sized, not bold, or the
document's own title, so they never become headings.

A course built from the PDF takes its chapters and topics from these headings (see
`studyflow.extractive.outline`), which is why they travel on every chunk's locator.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from pypdf import PdfReader

# A heading is at least this much larger than the body text.
HEADING_SIZE_RATIO = 1.1
HEADING_MAX_CHARS = 160
_NUMBERING = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+(?=\S)")
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)


@dataclass(frozen=True)
class Heading:
    level: int  # 0: chapter, 1: topic (anything deeper is folded into 1)
    title: str  # without its numbering
    text: str  # as printed on the page (numbering included), to find it in the page's text


def normalized(text: str) -> str:
    return " ".join(text.split())


def strip_numbering(text: str) -> tuple[str, int | None]:
    """("2.1 Slow start", ...) → ("Slow start", 1): the title and the level its numbering says."""
    match = _NUMBERING.match(text)
    if not match:
        return text, None
    return text[match.end() :], min(1, match.group(1).count("."))


def document_title(reader: PdfReader) -> str | None:
    title = reader.metadata.title if reader.metadata else None
    return normalized(str(title)) if title and str(title).strip() else None


# --- bookmarks -------------------------------------------------------------------------------
def bookmark_headings(reader: PdfReader) -> list[tuple[int, Heading]]:
    """(page index, heading) for every bookmark, in outline order."""
    found: list[tuple[int, Heading]] = []

    def walk(items, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
            except Exception:  # a bookmark pointing nowhere is no section
                continue
            title = normalized(str(item.title or ""))
            if title and page is not None and page >= 0:
                found.append((page, Heading(min(level, 1), strip_numbering(title)[0], title)))

    try:
        walk(reader.outline, 0)
    except Exception:  # a damaged outline: fall back to the fonts
        return []
    return found


# --- font sizes ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Run:
    size: float
    bold: bool
    text: str


def text_runs(page) -> list[_Run]:
    """The page's text as pypdf shows it, with the effective font size of each piece."""
    runs: list[_Run] = []

    def visit(text, _cm, tm, font, size) -> None:
        if not text or not text.strip():
            return
        scale = abs(tm[3]) if tm and tm[3] else 1.0
        name = str((font or {}).get("/BaseFont", ""))
        runs.append(_Run(round(float(size) * scale * 2) / 2, bool(_BOLD.search(name)), text))

    page.extract_text(visitor_text=visit)
    return runs


def body_size(runs: list[_Run]) -> float:
    """The size most characters are set in."""
    counts: Counter[float] = Counter()
    for run in runs:
        counts[run.size] += len(run.text)
    return counts.most_common(1)[0][0] if counts else 0.0


def font_headings(runs: list[_Run], body: float, title: str | None) -> list[tuple[float, str]]:
    """(size, text) of each heading on a page: consecutive bold runs clearly above body size
    (one heading may wrap onto two lines), not the document's title."""
    headings: list[tuple[float, str]] = []
    current: list[_Run] = []

    def close() -> None:
        if current:
            text = normalized(" ".join(r.text for r in current))
            if text and len(text) <= HEADING_MAX_CHARS and text != title and any(c.isalpha() for c in text):
                headings.append((current[0].size, text))
        current.clear()

    for run in runs:
        is_heading = run.bold and body and run.size >= body * HEADING_SIZE_RATIO
        if is_heading and (not current or current[-1].size == run.size):
            current.append(run)
            continue
        close()
        if is_heading:
            current.append(run)
    close()
    return headings


def leveled(found: list[tuple[float, str]], sizes: list[float]) -> list[Heading]:
    """Levels from the numbering when it has any, else from the size: the largest heading size
    seen in the window is a chapter, any smaller one a topic."""
    ranked = sorted(set(sizes), reverse=True)
    result = []
    for size, text in found:
        title, by_number = strip_numbering(text)
        level = by_number if by_number is not None else min(1, ranked.index(size) if size in ranked else 1)
        result.append(Heading(level, title, text))
    return result


def split_at_headings(text: str, headings: list[Heading]) -> list[tuple[Heading | None, str]]:
    """The page's text cut where each heading stands on its own line (in order); text before the
    first heading belongs to whatever heading came before this page. A heading found nowhere is
    still returned (with no text), so the reader knows it was entered."""
    pieces: list[tuple[Heading | None, str]] = []
    start, search_from, current = 0, 0, None
    for heading in headings:
        words = r"\s+".join(re.escape(word) for word in heading.text.split())
        match = re.compile(rf"(?<![^\n]){words}[ \t]*(?![^\n])").search(text, search_from)
        if match is None:
            pieces.append((current, ""))
            current = heading
            continue
        pieces.append((current, text[start : match.start()]))
        current, start, search_from = heading, match.start(), match.end()
    pieces.append((current, text[start:]))
    return pieces


_FOOTER = re.compile(r"^\s*(page\s+)?\d+(\s*(of|/)\s*\d+)?\s*$", re.IGNORECASE)


def without_running_lines(text: str, title: str | None) -> str:
    """A page's text without its running header (the document's title as the first line) and
    its footer (a page number, "Page 3 of 7"): they would cut sentences apart and end up quoted."""
    lines = text.split("\n")
    if lines and title and normalized(lines[0]) == title:
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and _FOOTER.match(lines[-1]):
        lines = lines[:-1]
    return "\n".join(lines)
