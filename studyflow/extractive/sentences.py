"""Sentences of a passage fit to quote: markdown and headings removed, whole sentences only."""

from __future__ import annotations

import re
from dataclasses import dataclass

from segtok.segmenter import split_single  # segtok comes with yake: a tested sentence splitter

_FENCE = re.compile(r"```.*?(```|$)", re.DOTALL)
_NUMBERING = re.compile(r"^\s*\d+(?:\.\d+)*\.?\s+")
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+", re.MULTILINE)
# A quotable sentence: starts like a sentence, ends like one, long enough to say something.
_STARTS = re.compile(r"^[A-Z0-9\"'(]")
_ENDS = re.compile(r"[.!?][\"')]?$")
MIN_WORDS, MAX_WORDS = 6, 60


@dataclass(frozen=True)
class Sentence:
    text: str
    position: int  # order within the passages it was taken from
    passage: int  # index of the passage (chunk) it comes from


def plain(text: str) -> str:
    """Markdown as plain prose: no fences, tables, heading lines, emphasis or code marks."""
    text = _FENCE.sub(" ", text)
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(("#", "|"))]
    text = _LIST_MARK.sub("", "\n".join(lines))
    return text.replace("**", "").replace("__", "").replace("`", "")


def without_heading(text: str, headings: list[str]) -> str:
    """A passage starts with its heading when the format joins it to the text (PDF, DOCX)."""
    stripped = text.lstrip()
    for heading in headings:
        if not heading:
            continue
        candidate = _NUMBERING.sub("", stripped, count=1)
        if candidate.startswith(heading):
            stripped = candidate[len(heading) :].lstrip(" :.-–—\n")
    return stripped


def quotable(sentence: str) -> bool:
    words = sentence.split()
    return (
        MIN_WORDS <= len(words) <= MAX_WORDS
        and bool(_STARTS.match(sentence))
        and bool(_ENDS.search(sentence))
        and sentence.count("(") == sentence.count(")")
        and sentence.count('"') % 2 == 0
        and " - " not in sentence  # a list flattened into the sentence
        and not sentence.rstrip(".").endswith(":")
    )


def split(text: str) -> list[str]:
    """Whole sentences of plain text (a chunk cut mid-sentence loses its broken ends)."""
    out = []
    for paragraph in re.split(r"\n\s*\n", text):
        flat = " ".join(paragraph.split())
        if flat:
            out += [s.strip() for s in split_single(flat) if s.strip()]
    return out


def sentences_of(passages: list[tuple[str, list[str]]]) -> list[Sentence]:
    """Quotable sentences of passages given as (text, headings to strip), deduplicated (chunks
    overlap), in reading order."""
    found: list[Sentence] = []
    seen: set[str] = set()
    for index, (text, headings) in enumerate(passages):
        for sentence in split(plain(without_heading(text, headings))):
            key = sentence.casefold()
            if quotable(sentence) and key not in seen:
                seen.add(key)
                found.append(Sentence(sentence, len(found), index))
    return found
