"""Lexical guard for semantic-cache hits.

Sentence embeddings place "World War I" and "World War II", "blocking I/O" and "non-blocking I/O",
or "Excel pivot tables" and "Google Sheets pivot tables" very close together, yet a cached answer
for one is wrong for the other. Two requests may share a cache entry only if they agree on the
tokens that flip meaning: numbers (digits, roman numerals, ordinals), negations, and named things
(words written with capitals). Everything else is left to the embedding similarity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ORDINALS = {
    "first": "1",
    "second": "2",
    "third": "3",
    "fourth": "4",
    "fifth": "5",
    "sixth": "6",
    "seventh": "7",
    "eighth": "8",
    "ninth": "9",
    "tenth": "10",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
}
_ROMAN = re.compile(r"^(?=[MDCLXVI])M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_NEGATIONS = {"non", "not", "no", "without", "free", "un", "anti", "never"}
# Words that say how something is taught, not what: capitalised at a title's start, they name nothing.
_FILLER = {
    "a",
    "an",
    "the",
    "of",
    "in",
    "on",
    "for",
    "to",
    "and",
    "with",
    "how",
    "what",
    "why",
    "is",
    "are",
    "i",
    "introduction",
    "intro",
    "basics",
    "basic",
    "fundamentals",
    "fundamental",
    "principles",
    "overview",
    "understanding",
    "learn",
    "learning",
    "guide",
    "course",
    "history",
    "using",
    "working",
    "getting",
    "started",
    "work",
    "works",
    "explained",
    "essentials",
    "concepts",
    "techniques",
    "skills",
}
_TOKEN = re.compile(r"[A-Za-z][A-Za-z+#]*|\d+")


def _roman_value(token: str) -> int | None:
    if not _ROMAN.match(token):
        return None
    total = 0
    for current, following in zip(token, token[1:] + " ", strict=False):
        value = _ROMAN_VALUES[current]
        total += -value if following != " " and _ROMAN_VALUES[following] > value else value
    return total


@dataclass(frozen=True)
class Signature:
    numbers: frozenset[str]
    negations: frozenset[str]
    names: frozenset[str]


def signature(text: str) -> Signature:
    numbers: set[str] = set()
    negations: set[str] = set()
    names: set[str] = set()
    # Split "non-blocking", "gluten-free", "HTTP/2" into their parts first.
    for position, raw in enumerate(_TOKEN.findall(text.replace("-", " ").replace("/", " "))):
        lower = raw.lower()
        if raw.isdigit():
            numbers.add(str(int(raw)))
        elif len(raw) > 1 and raw.isupper() and (value := _roman_value(raw)):
            numbers.add(str(value))  # Henry VIII, Episode IV
        elif raw == "I" and position > 0:
            numbers.add("1")  # World War I (a leading "I" is the pronoun)
        elif lower in _ORDINALS:
            numbers.add(_ORDINALS[lower])
        elif lower in _NEGATIONS:
            negations.add(lower)
        elif lower.startswith("non") and len(lower) > 6:
            negations.add("non")  # nonlinear, nonviolent
        elif any(ch.isupper() for ch in raw) and lower not in _FILLER:
            names.add(lower[:-1] if len(lower) > 3 and lower.endswith("s") else lower)
    return Signature(frozenset(numbers), frozenset(negations), frozenset(names))


def compatible(a: str, b: str) -> bool:
    """True when nothing meaning-flipping differs between the two request texts. Names are only
    compared when both texts use capitals: an all-lowercase request carries no name information."""
    sa, sb = signature(a), signature(b)
    names_known = a != a.lower() and b != b.lower()
    return sa.numbers == sb.numbers and sa.negations == sb.negations and (not names_known or sa.names == sb.names)
