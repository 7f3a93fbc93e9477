"""The pieces of an answer a rubric point can be matched against: its sentences, their clauses
and pairs of neighbouring clauses (one claim often runs over a comma)."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_CLAUSE = re.compile(r",\s+|\s+(?=(?:and|but|so|because|which|whereas|while|then)\s)", re.IGNORECASE)
MAX_SPANS = 40


def sentences(answer: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(answer.strip()) if s and s.strip()]


def spans(answer: str) -> list[str]:
    """Sentences first (what feedback quotes), then clauses and clause pairs, without repeats."""
    found: list[str] = []
    for sentence in sentences(answer):
        found.append(sentence)
        clauses = [c.strip() for c in _CLAUSE.split(sentence) if c and len(c.split()) >= 2]
        if len(clauses) > 1:
            found += clauses
            found += [f"{a}, {b}" for a, b in zip(clauses, clauses[1:], strict=False)]
    return list(dict.fromkeys(found))[:MAX_SPANS]


def sentence_of(span: str, answer: str) -> str:
    """The sentence of the answer a span was cut from (what the learner sees highlighted)."""
    for sentence in sentences(answer):
        if span in sentence or all(part.strip() in sentence for part in span.split(", ")):
            return sentence
    return span
