"""Render the evaluation documents from their neutral `<slug>.src.md` sources.

Each entry of `manifest.jsonl` names the kind a source is rendered to:

- pdf_bookmarks: PDF with a bookmark outline (chapters level 0, subsections level 1), big bold headings
- pdf_plain:     PDF without bookmarks; title page, running header and footer page numbers, headings
                 told apart only by font size/boldness (numbered "2.1 Slow start" if `numbered_headings`)
- docx:          Word document with Title / Heading 1 / Heading 2 styles
- html:          a web article page with header/nav, cookie banner and footer boilerplate around <article>
- markdown:      the Markdown itself
- vtt:           a WebVTT lecture transcript, cues every 5-10 s, no headings (they mark topic starts only)

Third-party libraries (fpdf2, python-docx) are imported inside the functions that need them, so the
parsing and transcript timing below are standard-library only (check.py reuses `section_starts`).

Usage: python tests/data/documents/build.py OUT_DIR   (builds everything, prints file, size, pages)
"""

from __future__ import annotations

import datetime
import html
import json
import random
import re
import shutil
import sys
import textwrap
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.jsonl"
FIXED_DATE = (2024, 3, 12, 9, 0, 0)  # creation dates are pinned so that rebuilding gives identical bytes
EXTENSIONS = {
    "pdf_bookmarks": "pdf",
    "pdf_plain": "pdf",
    "docx": "docx",
    "html": "html",
    "markdown": "md",
    "vtt": "vtt",
}

# ---------------------------------------------------------------------------------------------
# Source parsing


@dataclass
class Block:
    kind: str  # "h2", "h3", "para", "ul", "ol", "table", "code"
    text: str = ""
    items: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    lang: str = ""


@dataclass
class Source:
    slug: str
    title: str
    blocks: list[Block]


def parse_source(slug: str) -> Source:
    lines = (HERE / f"{slug}.src.md").read_text(encoding="utf-8").splitlines()
    title = ""
    blocks: list[Block] = []
    para: list[str] = []
    i = 0

    def flush() -> None:
        if para:
            blocks.append(Block("para", " ".join(s.strip() for s in para)))
            para.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            lang = stripped[3:].strip()
            code: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append(lines[i])
                i += 1
            blocks.append(Block("code", "\n".join(code), lang=lang))
            i += 1
            continue
        if not stripped:
            flush()
        elif stripped.startswith("### "):
            flush()
            blocks.append(Block("h3", stripped[4:].strip()))
        elif stripped.startswith("## "):
            flush()
            blocks.append(Block("h2", stripped[3:].strip()))
        elif stripped.startswith("# "):
            flush()
            title = stripped[2:].strip()
        elif stripped.startswith("|"):
            flush()
            rows: list[list[str]] = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            blocks.append(Block("table", rows=rows))
            continue
        elif re.match(r"[-*] ", stripped) or re.match(r"\d+\. ", stripped):
            flush()
            ordered = bool(re.match(r"\d+\. ", stripped))
            items: list[str] = []
            while i < len(lines) and lines[i].strip():
                s = lines[i].strip()
                m = re.match(r"(?:[-*]|\d+\.) (.*)", s)
                if m:
                    items.append(m.group(1))
                elif items:
                    items[-1] += " " + s
                i += 1
            blocks.append(Block("ol" if ordered else "ul", items=items))
            continue
        else:
            para.append(stripped)
        i += 1
    flush()
    if not title:
        raise ValueError(f"{slug}: no '# ' title line")
    return Source(slug, title, blocks)


_INLINE = re.compile(r"\*\*(.+?)\*\*|`([^`]+)`")


def segments(text: str) -> list[tuple[str, bool, bool]]:
    """Inline Markdown as (text, bold, code) runs; only **bold** and `code` are used in the sources."""
    out: list[tuple[str, bool, bool]] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False, False))
        if m.group(1) is not None:
            out.append((m.group(1), True, False))
        else:
            out.append((m.group(2), False, True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False, False))
    return out


def plain(text: str) -> str:
    return "".join(part for part, _, _ in segments(text))


def load_manifest() -> dict[str, dict]:
    entries = {}
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            entries[entry["slug"]] = entry
    return entries


# ---------------------------------------------------------------------------------------------
# PDF (fpdf2, core fonts only)

_LATIN1_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": " - ",
    "\u2212": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2026": "...",
    "\u2022": "-",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u2265": ">=",
    "\u2264": "<=",
    "\u2260": "!=",
    "\u2248": "~",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2032": "'",
    "\u2033": '"',
    "\u03bc": "\u00b5",
}


def to_latin1(text: str) -> str:
    """Core PDF fonts cover Latin-1 only: map typographic characters to ASCII, refuse the rest."""
    out = "".join(_LATIN1_REPLACEMENTS.get(ch, ch) for ch in text)
    bad = sorted({ch for ch in out if ord(ch) > 255})
    if bad:
        raise ValueError(f"characters outside Latin-1 with no ASCII replacement: {bad!r}")
    return out


def _pdf_markdown_safe(text: str) -> str:
    # fpdf2's markdown=True reads "__" as italics and "--" as underline; the sources avoid both.
    if "__" in text or "--" in text:
        raise ValueError(f"text would be misread by fpdf2 markdown: {text[:60]!r}")
    return text


def build_pdf(src: Source, out: Path, bookmarks: bool, numbered: bool) -> Path:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    plain_kind = not bookmarks
    body_font = "Times"
    head_font = "Helvetica" if bookmarks else "Times"
    title = to_latin1(src.title)

    class DocPDF(FPDF):
        def header(self) -> None:
            if plain_kind and self.page_no() > 1:
                self.set_font(body_font, "I", 8.5)
                self.set_text_color(110, 110, 110)
                self.cell(0, 6, title, align="R", new_x="LMARGIN", new_y="NEXT")
                self.set_draw_color(180, 180, 180)
                self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
                self.set_text_color(0, 0, 0)
                self.ln(4)

        def footer(self) -> None:
            if plain_kind and self.page_no() == 1:
                return  # no number on the title page
            self.set_y(-14)
            self.set_font(body_font, "", 9)
            self.set_text_color(90, 90, 90)
            label = f"Page {self.page_no()} of {{nb}}" if plain_kind else str(self.page_no())
            self.cell(0, 8, label, align="C")
            self.set_text_color(0, 0, 0)

    pdf = DocPDF(format="A4", unit="mm")
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(title)
    pdf.set_creator("studyflow evaluation corpus (tests/data/documents/build.py)")
    pdf.set_creation_date(datetime.datetime(*FIXED_DATE, tzinfo=datetime.UTC))
    pdf.alias_nb_pages()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def text_block(text: str, size: float = 11, indent: float = 0.0) -> None:
        pdf.set_font(body_font, "", size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(
            width - indent,
            size * 0.48,
            _pdf_markdown_safe(to_latin1(text)),
            markdown=True,
            align="J" if not indent else "L",
            new_x="LMARGIN",
            new_y="NEXT",
        )

    def heading(text: str, size: float, before: float, after: float, level: int) -> None:
        if pdf.get_y() > pdf.h - pdf.b_margin - 35:
            pdf.add_page()
        else:
            pdf.ln(before)
        if bookmarks:
            pdf.start_section(to_latin1(text_of(text)), level=level)
        pdf.set_font(head_font, "B", size)
        pdf.multi_cell(width, size * 0.5, to_latin1(text), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(after)

    def text_of(text: str) -> str:
        return re.sub(r"^[\d.]+\s+", "", text)

    # Title: its own page for pdf_plain (with a subtitle and edition line), top of page 1 otherwise.
    pdf.add_page()
    if plain_kind:
        pdf.ln(70)
        pdf.set_font(head_font, "B", 26)
        pdf.multi_cell(width, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(8)
        pdf.set_font(body_font, "I", 14)
        pdf.multi_cell(width, 7, "Course reader", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(60)
        pdf.set_font(body_font, "", 11)
        pdf.multi_cell(width, 6, "Study materials - revised edition", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.add_page()
    else:
        pdf.set_font(head_font, "B", 24)
        pdf.multi_cell(width, 11, title, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)

    chapter_no = 0
    section_no = 0
    first_chapter = True
    for block in src.blocks:
        if block.kind == "h2":
            chapter_no += 1
            section_no = 0
            label = f"{chapter_no} {block.text}" if numbered else block.text
            if bookmarks and not first_chapter:
                pdf.add_page()
                pdf.start_section(to_latin1(block.text), level=0)
                pdf.set_font(head_font, "B", 18)
                pdf.multi_cell(width, 9, to_latin1(label), align="L", new_x="LMARGIN", new_y="NEXT")
                pdf.ln(4)
            else:
                heading(label, 18 if bookmarks else 16, 6, 4, 0)
            first_chapter = False
        elif block.kind == "h3":
            section_no += 1
            label = f"{chapter_no}.{section_no} {block.text}" if numbered else block.text
            heading(label, 13.5 if bookmarks else 12.5, 4, 2, 1)
        elif block.kind == "para":
            text_block(block.text)
            pdf.ln(2.5)
        elif block.kind in ("ul", "ol"):
            for n, item in enumerate(block.items, 1):
                pdf.set_font(body_font, "", 11)
                marker = f"{n}." if block.kind == "ol" else "-"
                y = pdf.get_y()
                pdf.set_xy(pdf.l_margin + 3, y)
                pdf.cell(5, 5.3, marker)
                pdf.set_xy(pdf.l_margin + 8, y)
                pdf.multi_cell(
                    width - 8,
                    5.3,
                    _pdf_markdown_safe(to_latin1(item)),
                    markdown=True,
                    align="L",
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
                pdf.ln(1)
            pdf.ln(2)
        elif block.kind == "table":
            pdf.set_font(body_font, "", 9.5)
            pdf.ln(1)
            with pdf.table(
                width=width,
                line_height=5,
                text_align="LEFT",
                headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
            ) as table:
                for row in block.rows:
                    r = table.row()
                    for cell in row:
                        r.cell(to_latin1(plain(cell)))
            pdf.ln(4)
        elif block.kind == "code":
            # Only Helvetica/Times are used; code keeps its lines, in a smaller size.
            pdf.set_font(head_font, "", 9)
            for code_line in block.text.splitlines():
                pdf.set_x(pdf.l_margin + 6)
                pdf.multi_cell(width - 6, 4.4, to_latin1(code_line) or " ", align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    target = out / f"{src.slug}.pdf"
    pdf.output(str(target))
    return target


# ---------------------------------------------------------------------------------------------
# DOCX (python-docx)


def build_docx(src: Source, out: Path) -> Path:
    import docx
    from docx.shared import Pt

    document = docx.Document()
    document.core_properties.title = src.title
    document.core_properties.author = "studyflow evaluation corpus"
    document.add_heading(src.title, level=0)

    def add_runs(paragraph, text: str) -> None:
        for part, bold, code in segments(text):
            run = paragraph.add_run(part)
            run.bold = bold or None
            if code:
                run.font.name = "Courier New"
                run.font.size = Pt(10)

    for block in src.blocks:
        if block.kind == "h2":
            document.add_heading(block.text, level=1)
        elif block.kind == "h3":
            document.add_heading(block.text, level=2)
        elif block.kind == "para":
            add_runs(document.add_paragraph(), block.text)
        elif block.kind in ("ul", "ol"):
            style = "List Number" if block.kind == "ol" else "List Bullet"
            for item in block.items:
                add_runs(document.add_paragraph(style=style), item)
        elif block.kind == "table":
            rows = block.rows
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    paragraph = table.cell(r, c).paragraphs[0]
                    run = paragraph.add_run(plain(cell))
                    run.bold = True if r == 0 else None
            document.add_paragraph()
        elif block.kind == "code":
            paragraph = document.add_paragraph()
            paragraph.paragraph_format.left_indent = Pt(18)
            for n, code_line in enumerate(block.text.splitlines()):
                run = paragraph.add_run(code_line)
                run.font.name = "Courier New"
                run.font.size = Pt(9)
                if n < len(block.text.splitlines()) - 1:
                    run.add_break()
    document.core_properties.created = datetime.datetime(*FIXED_DATE)
    document.core_properties.modified = datetime.datetime(*FIXED_DATE)
    target = out / f"{src.slug}.docx"
    document.save(str(target))
    _pin_zip_dates(target)
    return target


def _pin_zip_dates(path: Path) -> None:
    """Rewrite the DOCX archive with fixed entry dates (zipfile stamps the current time otherwise)."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


# ---------------------------------------------------------------------------------------------
# HTML article page

_SITE = "LearnWell Guides"
_HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | {site}</title>
<meta name="description" content="{description}">
<link rel="stylesheet" href="/assets/site.css">
<style>
  body {{ font-family: Georgia, serif; margin: 0; color: #222; }}
  .site-header, .site-footer {{ background: #1d3557; color: #fff; padding: 12px 24px; }}
  .site-header a, .site-footer a {{ color: #fff; }}
  nav ul {{ list-style: none; display: flex; gap: 18px; margin: 0; padding: 0; }}
  main {{ max-width: 760px; margin: 0 auto; padding: 24px; }}
  pre {{ background: #f4f4f4; padding: 12px; overflow-x: auto; }}
  table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 4px 8px; }}
  .cookie-banner {{ position: fixed; bottom: 0; left: 0; right: 0; background: #333; color: #fff; padding: 16px; }}
</style>
</head>
<body>
<div class="cookie-banner" id="cookie-banner" role="dialog" aria-label="Cookie consent">
  <p>We use cookies to remember your preferences, to keep you signed in and to understand how our guides
  are used. You can accept all cookies or choose which ones to allow. See our <a href="/privacy">privacy policy</a>
  for details.</p>
  <button type="button" id="cookie-accept">Accept all</button>
  <button type="button" id="cookie-manage">Manage preferences</button>
</div>
<header class="site-header">
  <a class="logo" href="/">{site}</a>
  <nav aria-label="Main menu">
    <ul>
      <li><a href="/">Home</a></li>
      <li><a href="/topics/">Topics</a></li>
      <li><a href="/courses/">Courses</a></li>
      <li><a href="/newsletter/">Newsletter</a></li>
      <li><a href="/about/">About us</a></li>
      <li><a href="/contact/">Contact</a></li>
      <li><a href="/login/">Sign in</a></li>
    </ul>
  </nav>
  <form class="search" action="/search/" role="search"><input type="search" name="q" placeholder="Search guides"></form>
</header>
<main>
<nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/">Home</a> &rsaquo;
  <a href="/topics/{section_slug}/">{section}</a> &rsaquo; <span>{title}</span></nav>
<article>
<h1>{title}</h1>
<p class="byline">By the {site} editorial team &middot; Updated {updated} &middot; {minutes} min read</p>
{body}
</article>
<div class="share" aria-label="Share this guide"><a href="/share/email">Email</a> <a href="/share/print">Print</a></div>
</main>
<footer class="site-footer">
  <div class="footer-col">
    <h3>Explore</h3>
    <ul><li><a href="/topics/">All topics</a></li><li><a href="/courses/">Courses</a></li>
      <li><a href="/glossary/">Glossary</a></li></ul>
  </div>
  <div class="footer-col">
    <h3>Company</h3>
    <ul><li><a href="/about/">About us</a></li><li><a href="/careers/">Careers</a></li>
      <li><a href="/press/">Press</a></li></ul>
  </div>
  <p class="legal"><a href="/terms/">Terms of use</a> &middot; <a href="/privacy/">Privacy</a> &middot;
    <a href="/cookies/">Cookie settings</a></p>
  <p class="copyright">&copy; 2024 {site} Ltd. All rights reserved.</p>
</footer>
<script>
  document.getElementById("cookie-accept").onclick = function () {{
    document.getElementById("cookie-banner").remove();
  }};
</script>
</body>
</html>
"""


def _html_inline(text: str) -> str:
    out = []
    for part, bold, code in segments(text):
        part = html.escape(part, quote=False)
        out.append(f"<strong>{part}</strong>" if bold else f"<code>{part}</code>" if code else part)
    return "".join(out)


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def build_html(src: Source, out: Path, section: str) -> Path:
    body: list[str] = []
    open_section = False
    words = 0
    for block in src.blocks:
        if block.kind == "h2":
            if open_section:
                body.append("</section>")
            body.append(f'<section id="{_anchor(block.text)}">')
            body.append(f"<h2>{html.escape(block.text)}</h2>")
            open_section = True
        elif block.kind == "h3":
            body.append(f'<h3 id="{_anchor(block.text)}">{html.escape(block.text)}</h3>')
        elif block.kind == "para":
            body.append(f"<p>{_html_inline(block.text)}</p>")
            words += len(block.text.split())
        elif block.kind in ("ul", "ol"):
            tag = block.kind
            items = "\n".join(f"  <li>{_html_inline(item)}</li>" for item in block.items)
            body.append(f"<{tag}>\n{items}\n</{tag}>")
            words += sum(len(item.split()) for item in block.items)
        elif block.kind == "table":
            head, *rows = block.rows
            th = "".join(f"<th>{_html_inline(c)}</th>" for c in head)
            trs = "\n".join("<tr>" + "".join(f"<td>{_html_inline(c)}</td>" for c in row) + "</tr>" for row in rows)
            body.append(f"<table>\n<thead><tr>{th}</tr></thead>\n<tbody>\n{trs}\n</tbody>\n</table>")
        elif block.kind == "code":
            lang = f' class="language-{block.lang}"' if block.lang else ""
            body.append(f"<pre><code{lang}>{html.escape(block.text, quote=False)}</code></pre>")
    if open_section:
        body.append("</section>")
    first_para = next(plain(b.text) for b in src.blocks if b.kind == "para")
    page = _HTML_PAGE.format(
        title=html.escape(src.title),
        site=_SITE,
        description=html.escape(first_para.split(". ")[0] + "."),
        section=html.escape(section),
        section_slug=_anchor(section),
        updated="12 March 2024",
        minutes=max(1, round(words / 230)),
        body="\n".join(body),
    )
    target = out / f"{src.slug}.html"
    target.write_text(page, encoding="utf-8")
    return target


# ---------------------------------------------------------------------------------------------
# WebVTT lecture transcript

WORDS_PER_SECOND = 1.8  # ~108 words per minute while speaking, plus pauses between cues
MAX_CUE_WORDS = 17
MIN_INTERVAL, MAX_INTERVAL = 5.0, 10.0  # seconds from one cue's start to the next


@dataclass
class Cue:
    start: float
    end: float
    speaker: str
    text: str
    section: str


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+(?=[A-Z0-9\"'])", text.strip()) if s]


def _split_long(sentence: str) -> list[str]:
    words = sentence.split()
    if len(words) <= MAX_CUE_WORDS:
        return [sentence]
    # Prefer a comma near the middle; otherwise cut into even pieces.
    best = None
    for n, word in enumerate(words[:-1], 1):
        if word.endswith((",", ";", ":")) and 5 <= n <= len(words) - 5:
            if best is None or abs(n - len(words) / 2) < abs(best - len(words) / 2):
                best = n
    if best is None:
        pieces = -(-len(words) // MAX_CUE_WORDS)
        size = -(-len(words) // pieces)
        return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    return _split_long(" ".join(words[:best])) + _split_long(" ".join(words[best:]))


def _chunks(paragraph: str) -> list[str]:
    pieces = [piece for sentence in _sentences(paragraph) for piece in _split_long(sentence)]
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1].split()) + len(piece.split()) <= MAX_CUE_WORDS:
            chunks[-1] += " " + piece
        else:
            chunks.append(piece)
    # A very short last chunk joins the one before if the result stays readable.
    if len(chunks) > 1 and len(chunks[-1].split()) < 5 and len(chunks[-2].split()) + len(chunks[-1].split()) <= 20:
        chunks[-2] += " " + chunks.pop()
    return chunks


def lecture_cues(slug: str, professor: str | None = None) -> tuple[str, list[Cue]]:
    """The lecture as timed cues (standard library only; deterministic for a given source)."""
    src = parse_source(slug)
    if professor is None:
        professor = load_manifest()[slug].get("speaker", "Professor")
    rng = random.Random(slug)
    cues: list[Cue] = []
    t = 0.0
    section = ""
    previous_speaker = None
    for block in src.blocks:
        if block.kind == "h2":
            section = block.text
            if cues:
                t += rng.uniform(1.0, 2.0)  # the lecturer turns to the board; applied within the limit below
            continue
        if block.kind != "para":
            raise ValueError(f"{slug}: a lecture holds only ## topics and paragraphs, found {block.kind}")
        text = plain(block.text)
        speaker = professor
        if text.startswith("Student: "):
            speaker, text = "Student", text[len("Student: ") :]
        for n, chunk in enumerate(_chunks(text)):
            words = len(chunk.split())
            speech = words / (WORDS_PER_SECOND * rng.uniform(0.93, 1.07))
            if n == 0 and previous_speaker is not None:
                gap = rng.uniform(1.4, 2.6) if speaker == previous_speaker else rng.uniform(0.8, 1.6)
            else:
                gap = rng.uniform(0.3, 1.1)
            if cues:
                previous = cues[-1]
                interval = min(MAX_INTERVAL, max(MIN_INTERVAL, (t + gap) - previous.start))
                start = previous.start + interval
                previous.end = min(previous.end, start)
            else:
                start = 0.0
            end = start + min(speech + 0.3, MAX_INTERVAL)
            cues.append(Cue(round(start, 3), round(end, 3), speaker, chunk, section))
            t = start + speech
            previous_speaker = speaker
    return src.title, cues


def _timestamp(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def section_starts(slug: str) -> list[tuple[str, str, str]]:
    """(topic, start, end) timestamps of each `##` topic of a lecture."""
    _, cues = lecture_cues(slug)
    spans: dict[str, list[float]] = {}
    for cue in cues:
        span = spans.setdefault(cue.section, [cue.start, cue.end])
        span[1] = cue.end
    return [(name, _timestamp(a), _timestamp(b)) for name, (a, b) in spans.items()]


def build_vtt(src: Source, out: Path, entry: dict) -> Path:
    title, cues = lecture_cues(src.slug, entry.get("speaker"))
    lines = ["WEBVTT", "", "NOTE", title]
    if entry.get("course"):
        lines.append(entry["course"])
    lines.append("")
    for n, cue in enumerate(cues, 1):
        wrapped = textwrap.wrap(cue.text, width=52)
        wrapped[0] = f"<v {cue.speaker}>{wrapped[0]}"
        lines += [str(n), f"{_timestamp(cue.start)} --> {_timestamp(cue.end)}", *wrapped, ""]
    target = out / f"{src.slug}.vtt"
    target.write_text("\n".join(lines), encoding="utf-8")
    return target


# ---------------------------------------------------------------------------------------------


def build(slug: str, out_dir: str | Path) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    entry = load_manifest()[slug]
    kind = entry["kind"]
    src = parse_source(slug)
    if kind == "pdf_bookmarks":
        return build_pdf(src, out, bookmarks=True, numbered=bool(entry.get("numbered_headings")))
    if kind == "pdf_plain":
        return build_pdf(src, out, bookmarks=False, numbered=bool(entry.get("numbered_headings")))
    if kind == "docx":
        return build_docx(src, out)
    if kind == "html":
        return build_html(src, out, entry.get("site_section", "Guides"))
    if kind == "markdown":
        target = out / f"{slug}.md"
        shutil.copyfile(HERE / f"{slug}.src.md", target)
        return target
    if kind == "vtt":
        return build_vtt(src, out, entry)
    raise ValueError(f"{slug}: unknown kind {kind!r}")


def build_all(out_dir: str | Path) -> list[Path]:
    return [build(slug, out_dir) for slug in load_manifest()]


def _describe(path: Path) -> str:
    size = path.stat().st_size
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        return f"{size:>9,d} bytes  {len(reader.pages):>3d} pages  outline entries: {_count_outline(reader.outline)}"
    if path.suffix == ".vtt":
        text = path.read_text(encoding="utf-8")
        cues = re.findall(r"^(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})$", text, re.MULTILINE)
        h, m, s = cues[-1][1].split(":")
        minutes = int(h) * 60 + int(m) + float(s) / 60
        return f"{size:>9,d} bytes  {len(cues)} cues, {minutes:.1f} minutes"
    if path.suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        headings = sum(1 for p in document.paragraphs if p.style.name.startswith("Heading"))
        return f"{size:>9,d} bytes  {len(document.paragraphs)} paragraphs, {headings} headings"
    return f"{size:>9,d} bytes"


def _count_outline(outline) -> int:
    return sum(_count_outline(item) if isinstance(item, list) else 1 for item in outline)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: build.py OUT_DIR")
    manifest = load_manifest()
    for built in build_all(sys.argv[1]):
        slug = built.name.split(".")[0]
        print(f"{built.name:<30} {manifest[slug]['kind']:<14} {_describe(built)}")
