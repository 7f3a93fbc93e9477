"""A field name of the requested schema written as content: a bullet reading "explanation", a
key point "key_points", a notes text that starts "Fields: explanation, key_points, example"."""

from __future__ import annotations

import re

# Field names that never stand alone as content. Not "summary", "example", "practice", "title",
# "question" or "topics" (a chapter may be called "Summary"), nor "options", "front" or "back"
# (an HTTP method is OPTIONS; "Back" may answer a question).
SCHEMA_FIELDS = frozenset(
    {
        "answer_index", "explanation", "key_points", "key points", "topic_ref", "source_refs",
        "citations", "confidence", "answerable", "interview_questions", "interview questions",
        "practice_questions", "practice questions", "fields",
    }
)  # fmt: skip
# Words that make "1. Explanation, 2." an echo; not "answer": a card's back "Answer 3." is not one.
_FIELD_WORDS = frozenset({"explanation", "key", "points", "fields"})


# The prompt's own labels written as content: topic and excerpt references ("T1: Introduction to…",
# "[S1]", "S2.The regression line", an answer "T1"), option letters and list labels run into the
# text ("B: Using Python…", "A4.", "E9.6],", "A-3. Macrophages") and the prompt's "S-number".
_LABEL = re.compile(
    r"^\s*\[?(?:[TtSs]\d{1,2}(?:[._]\d+)*|[A-Ha-h](?:-?\d{1,2}(?:\.\d+)?)?)\]?\s*[:.)\]]"
    r"|^\s*\[?(?:[TtSs]\d{1,2}(?:[._]\d+)*|[A-Ha-h]-?\d{1,2}(?:\.\d+)?)\]?\s*$"
    r"|\[\s*[ST]\d{1,2}\s*\]"
    r"|\b[A-Z]-number\b|\bS-numbers?\b"
)
_SNAKE_ALONE = re.compile(r"^\s*[A-Za-z]+(?:_[A-Za-z0-9.]+)+\s*[,.:]?\s*$")
_ECHO_WORDS = frozenset({"answerable", "topic_ref", "source_refs", "answer_index", "key_points", "interview_questions"})


def schema_echo(text: str, fields: frozenset[str] = SCHEMA_FIELDS) -> str | None:
    """The field name echoed, or None: the whole text is a field name, or it names two or more
    field names in a row like a schema description does."""
    flat = " ".join(text.casefold().replace(":", " ").replace(",", " ").split()).strip(" .-*#")
    if flat in fields:
        return flat
    if flat.startswith("fields "):
        return "fields"
    if (label := _LABEL.search(text)) and not _ordinary_start(text):
        return label.group().strip()
    if _SNAKE_ALONE.match(text):
        return text.strip()
    words = re.findall(r"[a-z_]+", text.casefold())
    # "1. Explanation, 2." — nothing but field names and numbering
    if words and len(words) <= 4 and all(w in _FIELD_WORDS for w in words):
        return words[0]
    if any(w in _ECHO_WORDS for w in words):
        return next(w for w in words if w in _ECHO_WORDS)
    named = [w for w in words if w in fields and "_" in w]
    if len(set(named)) >= 2:
        return named[0]
    return None


def _ordinary_start(text: str) -> bool:
    """A text that starts with an article-like capital on its own ("A function…", "I think…") or a
    real term that looks like a label ("C4 plants", "A4 paper") is not a label."""
    stripped = text.lstrip()
    return bool(re.match(r"^(?:[AI]\s+[a-z]|[A-Z]\d+\s+[a-z])", stripped))
