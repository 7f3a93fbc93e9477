"""Files a learner might upload, made by the tests: good ones in each format, and hostile or
broken ones (encrypted, damaged, scanned, empty, lying about their type, decompression bombs)."""

from __future__ import annotations

import io
import zipfile

import docx
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter


def pdf(pages: list[str]) -> bytes:
    document = FPDF()
    document.set_auto_page_break(auto=False)
    for text in pages:
        document.add_page()
        document.set_font("Helvetica", size=11)
        document.set_xy(10, 10)
        document.multi_cell(0, 6, text)
    return bytes(document.output())


def scanned_pdf(pages: int = 2) -> bytes:
    """Pages with a picture-like drawing and no text layer, as a scanner makes them."""
    document = FPDF()
    for _ in range(pages):
        document.add_page()
        document.set_fill_color(40, 40, 40)
        for row in range(20):
            document.rect(15, 15 + row * 12, 180, 6, style="F")
    return bytes(document.output())


def encrypted_pdf(text: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf([text]))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def damaged_pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\n" + b"\x00\x13garbage" * 200


def docx_file(sections: list[tuple[str, str]]) -> bytes:
    document = docx.Document()
    for heading, body in sections:
        document.add_heading(heading, level=1)
        document.add_paragraph(body)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_bomb(unpacked_mb: int) -> bytes:
    """A valid-looking Word package whose document part unpacks to `unpacked_mb` MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as part:
            block = b"0" * (1024 * 1024)
            for _ in range(unpacked_mb):
                part.write(block)
    return out.getvalue()


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def vtt(cues: list[tuple[str, str, str]]) -> bytes:
    body = "WEBVTT\n\n" + "\n".join(f"{start} --> {end}\n{text}\n" for start, end, text in cues)
    return body.encode()


def srt_file(cues: list[tuple[str, str, str]]) -> bytes:
    return "\n".join(f"{i}\n{start} --> {end}\n{text}\n" for i, (start, end, text) in enumerate(cues, start=1)).encode()


def html_page(title: str, sections: list[tuple[str, str]]) -> bytes:
    body = "".join(f"<h2>{heading}</h2><p>{text}</p>" for heading, text in sections)
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a> | <a href='/about'>About</a></nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>Copyright footer text</footer></body></html>"
    ).encode()
