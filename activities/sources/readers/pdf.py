"""PDF pages with pypdf: one unit per page, locator {"page": n} (1-based, as printed)."""

from __future__ import annotations

from pathlib import Path

from pypdf import PasswordType, PdfReader
from pypdf.errors import PdfReadError

from activities.sources.extracted import Extracted, ReadLimits, Section, Unreadable, window_of
from activities.sources.readers.page_alarm import PageTimeout, time_limit

ENCRYPTED = (
    "This PDF is password-protected, so we cannot read it. Save a copy without the password "
    "(for example with 'Print to PDF') and upload that."
)
DAMAGED = "This PDF is damaged and cannot be read. Open it, export or save it again as PDF, and upload the new copy."


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
    result = Extracted(units=units)
    for index in window_of(units, window):
        try:
            with time_limit(limits.page_timeout_seconds):
                text = reader.pages[index].extract_text() or ""
        except PageTimeout:
            result.skipped += 1
            continue
        except MemoryError:
            raise
        except Exception:  # one unreadable page does not spoil the document
            result.skipped += 1
            continue
        text = "\n\n".join(" ".join(block.split()) for block in text.split("\n\n"))
        if text.strip():
            result.sections.append(Section(unit=index, text=text, locator={"page": index + 1}))
    return result
