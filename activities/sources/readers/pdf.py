"""PDF pages with pypdf: one unit per page, locator {"page": n} (1-based, as printed), plus the
chapter and heading the text sits under ({"chapter", "heading"}) when the PDF shows its structure
(bookmarks, or headings set large and bold: `pdf_structure`). A page with a heading on it is cut
there, so every section belongs to one heading."""

from __future__ import annotations

from pathlib import Path

from pypdf import PasswordType, PdfReader
from pypdf.errors import PdfReadError

from activities.sources.extracted import Extracted, ReadLimits, Section, Unreadable, window_of
from activities.sources.readers.page_alarm import PageTimeout, time_limit
from activities.sources.readers.pdf_structure import (
    Heading,
    body_size,
    bookmark_headings,
    document_title,
    font_headings,
    leveled,
    split_at_headings,
    text_runs,
    without_running_lines,
)

ENCRYPTED = (
    "This PDF is password-protected, so we cannot read it. Save a copy without the password "
    "(for example with 'Print to PDF') and upload that."
)
DAMAGED = "This PDF is damaged and cannot be read. Open it, export or save it again as PDF, and upload the new copy."
# Without bookmarks, the heading a window's first page continues is looked for this far back.
LOOK_BACK_PAGES = 3


class _Place:
    """The chapter and heading the text read so far sits under."""

    def __init__(self, title: str | None) -> None:
        # Text before the first chapter sits under the document's title (as in Markdown).
        self.title = title
        self.chapter: str | None = None
        self.topic: str | None = None
        self.last: Heading | None = None

    def enter(self, heading: Heading) -> None:
        self.last = heading
        if heading.level == 0:
            self.chapter, self.topic = heading.title, None
        else:
            self.topic = heading.title

    def locator(self, page: int) -> dict:
        locator: dict = {"page": page}
        if self.chapter:
            locator["chapter"] = self.chapter
        if self.topic or self.chapter or self.title:
            locator["heading"] = self.topic or self.chapter or self.title
        return locator


def read(path: Path, window: tuple[int, int] | None, limits: ReadLimits) -> Extracted:
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise Unreadable("encrypted", ENCRYPTED)
        units = len(reader.pages)
    except Unreadable:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise Unreadable("damaged", DAMAGED) from error
    pages = window_of(units, window)
    try:
        title = document_title(reader)
        bookmarks = bookmark_headings(reader) if pages else []
    except Exception:  # structure is a bonus: a PDF whose metadata or outline is broken is still read
        title, bookmarks = None, []
    result = Extracted(units=units, title=title)
    place = _Place(title)
    read_pages: dict[int, tuple[str, list]] = {}
    for index in pages:
        try:
            with time_limit(limits.page_timeout_seconds):
                text = reader.pages[index].extract_text() or ""
                runs = [] if bookmarks else text_runs(reader.pages[index])
        except PageTimeout:
            result.skipped += 1
            continue
        except MemoryError:
            raise
        except Exception:  # one unreadable page does not spoil the document
            result.skipped += 1
            continue
        read_pages[index] = (text, runs)

    headings_on = (
        _bookmarked(bookmarks, place, pages) if bookmarks else _by_font(reader, read_pages, title, place, pages, limits)
    )
    for index, (text, _) in read_pages.items():
        # The first page keeps its title line: there it is the page's content, not a header.
        page_text = without_running_lines(text, title if index > 0 else None)
        for heading, piece in split_at_headings(page_text, headings_on.get(index, [])):
            if heading is not None and heading is not place.last:
                place.enter(heading)
            piece = "\n\n".join(" ".join(block.split()) for block in piece.split("\n\n"))
            # A heading alone (its text starts on the next page) is no passage to study or quote.
            if piece.strip() and (heading is None or piece.strip() != " ".join(heading.text.split())):
                result.sections.append(Section(unit=index, text=piece.strip(), locator=place.locator(index + 1)))
    return result


def _bookmarked(bookmarks: list[tuple[int, Heading]], place: _Place, pages: range) -> dict[int, list[Heading]]:
    by_page: dict[int, list[Heading]] = {}
    for page, heading in bookmarks:
        if page < pages.start:
            place.enter(heading)  # what the window's first page continues
        else:
            by_page.setdefault(page, []).append(heading)
    return by_page


def _by_font(
    reader: PdfReader, read_pages: dict[int, tuple[str, list]], title: str | None, place: _Place, pages: range, limits
) -> dict[int, list[Heading]]:
    all_runs = [run for _, runs in read_pages.values() for run in runs]
    body = body_size(all_runs)
    found = {index: font_headings(runs, body, title) for index, (_, runs) in read_pages.items()}
    if title is None and 0 in found and found[0]:
        # No title in the metadata: the largest heading on the first page is the document's title
        # when nothing else in the window is set as large.
        largest = max(size for size, _ in found[0])
        others = [size for index, items in found.items() for size, _ in items if index != 0]
        if all(size < largest for size in others):
            found[0] = [(size, text) for size, text in found[0] if size != largest]
    sizes = [size for items in found.values() for size, _ in items]
    for back in range(max(0, pages.start - LOOK_BACK_PAGES), pages.start):
        try:
            with time_limit(limits.page_timeout_seconds):
                earlier = font_headings(text_runs(reader.pages[back]), body, title)
        except Exception:
            continue
        for heading in leveled(earlier, sizes + [size for size, _ in earlier]):
            place.enter(heading)
    return {index: leveled(items, sizes) for index, items in found.items()}
