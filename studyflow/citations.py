"""How a chunk's place in its source reads to a learner: "lecture-3.pdf, p. 12"."""

from __future__ import annotations


def citation_label(source_name: str, locator: dict | None) -> str:
    locator = locator or {}
    if "page" in locator:
        return f"{source_name}, p. {locator['page']}"
    if "start" in locator:
        return f"{source_name}, {locator['start']}"
    if locator.get("heading"):
        return f"{source_name}, § {locator['heading']}"
    if "line" in locator:
        return f"{source_name}, line {locator['line']}"
    return source_name
