"""Markup a model left in text: raw HTML tags ("<h1>Understanding what it does</h1>"), and a code
fence it opened and never closed (everything after it would render as code)."""

from __future__ import annotations

import re

_TAG = re.compile(
    r"</?(?:h[1-6]|p|div|span|br|hr|ul|ol|li|b|i|u|strong|em|a|code|pre|table|thead|tbody|tr|td|th|img|section|"
    r"article|header|footer|nav|body|html|head|title|script|style|blockquote)\b[^<>]*>",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)


def raw_html(text: str) -> str | None:
    prose = re.sub(r"`[^`\n]*`", " ", text)  # `<div>` in a code span is code, not markup
    prose = re.sub(r"```.*?```", " ", prose, flags=re.DOTALL)
    match = _TAG.search(prose)
    return match.group() if match else None


def unclosed_fence(text: str) -> bool:
    # Counted anywhere, not only at a line's start: a small model opens fences mid-sentence.
    return text.count("```") % 2 == 1 or (text.count("~~~") % 2 == 1 and bool(_FENCE.search(text)))
