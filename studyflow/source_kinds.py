"""What an upload is, decided by its bytes. The file name only has to agree: a `.pdf` that is not
a PDF is refused (415), and so is anything we cannot read."""

from __future__ import annotations

import codecs
import re
import zipfile
from enum import StrEnum
from pathlib import Path, PurePosixPath, PureWindowsPath


class SourceKind(StrEnum):
    pdf = "pdf"
    markdown = "markdown"
    text = "text"
    html = "html"
    url = "url"
    docx = "docx"
    transcript = "transcript"


DESCRIPTIONS = {
    SourceKind.pdf: "a PDF",
    SourceKind.markdown: "Markdown",
    SourceKind.text: "plain text",
    SourceKind.html: "an HTML page",
    SourceKind.docx: "a Word (DOCX) document",
    SourceKind.transcript: "a WebVTT or SRT transcript",
}
EXTENSIONS = {
    ".pdf": SourceKind.pdf,
    ".md": SourceKind.markdown,
    ".markdown": SourceKind.markdown,
    ".txt": SourceKind.text,
    ".text": SourceKind.text,
    ".html": SourceKind.html,
    ".htm": SourceKind.html,
    ".docx": SourceKind.docx,
    ".vtt": SourceKind.transcript,
    ".srt": SourceKind.transcript,
}
SUPPORTED = "PDF, Markdown, plain text, HTML, DOCX, and transcripts (.vtt, .srt)"
_TEXT_FAMILY = {SourceKind.text, SourceKind.markdown, SourceKind.html}
_SRT_START = re.compile(r"\d+\s*\r?\n\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
_HTML_START = re.compile(r"<(!doctype\s+html|html|head|body)\b", re.IGNORECASE)
_MARKDOWN_HINT = re.compile(r"^(#{1,6} |\* |- |\d+\. |```)", re.MULTILINE)
_KNOWN_BINARY = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x7fELF": "a program",
    b"MZ": "a program",
    b"\x1f\x8b": "a gzip archive",
}
_HEAD_BYTES = 8192


class UnsupportedContent(ValueError):
    """The bytes are not something we can study from; the message names what they are."""


def display_name(filename: str | None) -> str:
    """The learner's file name without any directory part or control characters."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:300] or "upload"


def sniff(path: Path, filename: str | None) -> SourceKind:
    with open(path, "rb") as file:
        head = file.read(_HEAD_BYTES)
    claimed = EXTENSIONS.get(PurePosixPath(display_name(filename)).suffix.lower())
    if not head:
        # Nothing to sniff: an empty file is accepted and fails in ingestion with its own message.
        return claimed or SourceKind.text
    try:
        found = _by_content(head, path)
    except UnsupportedContent as error:
        if claimed is None:
            raise
        raise UnsupportedContent(
            f"{display_name(filename)} is named like {DESCRIPTIONS[claimed]} but {error}"
        ) from None
    if claimed is None or claimed == found:
        return found
    if claimed in _TEXT_FAMILY and found in _TEXT_FAMILY:
        return claimed  # Markdown may hold HTML; an .html page may be mostly text
    raise UnsupportedContent(
        f"{display_name(filename)} is named like {DESCRIPTIONS[claimed]} but its content is {DESCRIPTIONS[found]}"
    )


def _by_content(head: bytes, path: Path) -> SourceKind:
    if head.startswith(b"%PDF-"):
        return SourceKind.pdf
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    text = _as_text(head)
    if text is None:
        what = next((name for magic, name in _KNOWN_BINARY.items() if head.startswith(magic)), "binary data")
        raise UnsupportedContent(f"the file is {what}; supported are {SUPPORTED}")
    start = text.lstrip("\ufeff \t\r\n")
    if start.startswith("WEBVTT") or _SRT_START.match(start):
        return SourceKind.transcript
    if _HTML_START.search(start[:1024]):
        return SourceKind.html
    return SourceKind.markdown if _MARKDOWN_HINT.search(text) else SourceKind.text


def _zip_kind(path: Path) -> SourceKind:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise UnsupportedContent(f"the file is a damaged ZIP archive; supported are {SUPPORTED}") from None
    if "word/document.xml" in names:
        return SourceKind.docx
    raise UnsupportedContent(f"the file is a ZIP archive, not a Word document; supported are {SUPPORTED}")


def _as_text(head: bytes) -> str | None:
    """UTF-8 without control characters (a multi-byte character cut at the end of the head is fine)."""
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    if any(ord(ch) < 32 and ch not in "\t\r\n\f" for ch in text):
        return None
    return text
