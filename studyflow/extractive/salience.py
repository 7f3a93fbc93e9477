"""Which terms of a text matter, by YAKE (statistical keyword extraction: no model, no corpus)."""

from __future__ import annotations

import re
from functools import lru_cache

import yake

_STOP_START = re.compile(r"^(this|that|these|those|it|its|each|every|such|other|which|when|where|how|what)\b", re.I)


@lru_cache(maxsize=8)
def _extractor(top: int) -> yake.KeywordExtractor:
    return yake.KeywordExtractor(lan="en", n=3, top=top, dedupLim=0.8)


def key_terms(text: str, top: int = 40) -> list[str]:
    """The text's salient terms, most salient first, as they are written in it."""
    if not text.strip():
        return []
    terms = []
    for term, _score in _extractor(top).extract_keywords(text):
        term = term.strip(" .,;:()\"'")
        if len(term) >= 3 and not _STOP_START.match(term) and any(c.isalpha() for c in term):
            terms.append(term)
    return terms


def occurs(term: str, text: str) -> re.Match | None:
    return re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text, re.IGNORECASE)


def shape(term: str) -> tuple[int, bool, bool]:
    """What kind of term it is, roughly: its word count, whether it is capitalised (a name),
    whether it is an acronym or holds digits. Distractors of the same shape look alike."""
    words = term.split()
    return (
        min(len(words), 3),
        term[:1].isupper() and not term.isupper(),
        term.isupper() or any(c.isdigit() for c in term),
    )


_ADVERB = re.compile(r"\w+ly$", re.IGNORECASE)


def noun_like(term: str, text: str) -> bool:
    """A term that names something: an acronym or a name, or one the text puts an article or a
    possessive before ("the congestion window", "a timeout"). YAKE also finds verb phrases
    ("continue safely", "control decides"), which make poor blanks and poorer distractors."""
    words = term.split()
    if any(_ADVERB.fullmatch(w) for w in words):
        return False
    if term.isupper():
        return True
    return bool(re.search(rf"\b(the|a|an|its|their|this|each)\s+{re.escape(term)}(?![\w-])", text, re.IGNORECASE))


def blank_candidates(terms: list[str], text: str, defined: list[str], title: str) -> list[str]:
    """Terms worth blanking, best first: ones the document defines, words of the topic's title,
    then salient noun-like terms the text uses more than once."""
    folded = text.casefold()
    title_words = {w.casefold() for w in re.findall(r"[\w-]+", title) if len(w) > 3}
    ranked = []
    for term in dict.fromkeys([*defined, *terms]):
        if not noun_like(term, text) and term not in defined:
            continue
        count = len(re.findall(rf"(?<![\w-]){re.escape(term.casefold())}(?![\w-])", folded))
        priority = 0 if term in defined else 1 if {w.casefold() for w in term.split()} & title_words else 2
        if priority == 2 and count < 2:
            continue
        ranked.append((priority, term))
    return [term for _, term in sorted(ranked, key=lambda pair: pair[0])]
