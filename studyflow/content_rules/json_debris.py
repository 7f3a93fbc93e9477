"""JSON left in text meant for a learner, in any form a small model leaves it: quoted keys
(`"answer":`), and unquoted ones too (`answer_index:2,`, `key_points:`, `explanation:`), key
names followed by a value and a comma, brackets opening an object or a list of strings."""

from __future__ import annotations

import re

# snake_case names never occur in prose; with a colon after them they are keys.
_SNAKE_KEY = re.compile(r"(?<![\w`])[a-z]+(?:_[a-z0-9]+)+\s*:", re.IGNORECASE)
# A key of the product's schemas with a colon, where a field would start: at the start of the
# text, of a line or after punctuation ("…, explanation: …", "1. Explanation, 2.").
# ("Example:" counts only after punctuation or at a line's start inside a text, see below.)
_FIELD_NAMES = (
    "question|options|answer|explanation|citations|confidence|answerable|chapters|topics|front|back|example|"
    "key_points|interview_questions"
)
_FIELD_KEY = re.compile(rf"(?:^|[\n,;{{\[(]|\d\.)\s*[\"']?(?:{_FIELD_NAMES})[\"']?\s*:", re.IGNORECASE)
# key:value, — a value with a comma straight after it ("answer_index:2," "confidence:0.9,")
_KEY_VALUE_COMMA = re.compile(r"\b[A-Za-z_]+\s*:\s*(?:\d+(?:\.\d+)?|true|false|null)\s*,", re.IGNORECASE)
_QUOTED_KEY = re.compile(r"[\"']\s*[A-Za-z_]+\s*[\"']\s*:")
_OPEN_STRUCTURE = re.compile(r"[{\[]\s*[\"'{\[]|[\"']\s*[}\]]|^\s*[}\]],?\s*$", re.MULTILINE)
# Runs of closing and opening brackets ("}]}}, {", "]},\n{", "{{#1."): structure, not prose.
_BRACKET_RUN = re.compile(r"[}\]]\s*[}\]]|[}\]]\s*,\s*[{\[]|\{\{|^\s*[}\]]\s*,?\s*$|[{\[]\s*$", re.MULTILINE)


def json_fragment(text: str) -> str | None:
    """The fragment found, or None. Code spans are code (`d = {'k': 1}`), not left-over JSON."""
    text = re.sub(r"`[^`\n]*`", " ", text)
    for pattern in (_SNAKE_KEY, _FIELD_KEY, _KEY_VALUE_COMMA, _QUOTED_KEY, _OPEN_STRUCTURE, _BRACKET_RUN):
        match = pattern.search(text)
        if match:
            return match.group().strip()
    return None
