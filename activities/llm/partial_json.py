"""Read one string field out of a JSON object that is still being written (a streamed reply), so
the learner sees the answer grow instead of the JSON around it."""

from __future__ import annotations

import json
import re

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def partial_string_field(text: str, field: str) -> str:
    """The value of `field` so far ("" until it starts); an escape cut off at the end waits."""
    match = re.search(r'"' + re.escape(field) + r'"\s*:\s*"', text)
    if not match:
        return ""
    out: list[str] = []
    i = match.end()
    while i < len(text):
        ch = text[i]
        if ch == '"':
            break
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= len(text):
            break
        code = text[i + 1]
        if code == "u":
            if i + 6 > len(text):
                break
            try:
                out.append(json.loads(f'"{text[i : i + 6]}"'))
            except json.JSONDecodeError:
                pass
            i += 6
            continue
        out.append(_ESCAPES.get(code, code))
        i += 2
    return "".join(out)
