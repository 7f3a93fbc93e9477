"""A field name of the requested schema written as content: a bullet reading "explanation", a
key point "key_points", a notes text that starts "Fields: explanation, key_points, example"."""

from __future__ import annotations

import re

# Field names that never stand alone as content. Not "summary", "example", "practice", "title",
# "question" or "topics": a chapter may well be called "Summary", "Practice" or "Examples".
SCHEMA_FIELDS = frozenset(
    {
        "answer_index", "explanation", "key_points", "key points", "topic_ref", "source_refs", "front", "back",
        "citations", "confidence", "answerable", "interview_questions", "interview questions",
        "practice_questions", "practice questions", "fields", "options",
    }
)  # fmt: skip
# Words that make "1. Explanation, 2." an echo; not "answer": a card's back "Answer 3." is not one.
_FIELD_WORDS = frozenset({"explanation", "key", "points", "options", "fields"})


def schema_echo(text: str, fields: frozenset[str] = SCHEMA_FIELDS) -> str | None:
    """The field name echoed, or None: the whole text is a field name, or it names two or more
    field names in a row like a schema description does."""
    flat = " ".join(text.casefold().replace(":", " ").replace(",", " ").split()).strip(" .-*#")
    if flat in fields:
        return flat
    if flat.startswith("fields "):
        return "fields"
    words = re.findall(r"[a-z_]+", text.casefold())
    # "1. Explanation, 2." — nothing but field names and numbering
    if words and len(words) <= 4 and all(w in fields or w in _FIELD_WORDS for w in words):
        return words[0]
    named = [w for w in words if w in fields and "_" in w]
    if len(set(named)) >= 2:
        return named[0]
    return None
