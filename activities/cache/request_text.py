"""How a request is written down for the semantic cache (both the exact key and the embedding)."""

from __future__ import annotations


def normalize_request(text: str) -> str:
    """Whitespace collapsed, trailing punctuation dropped; case kept, because capitals tell the
    cache guard which words are names."""
    return " ".join(text.split()).strip().rstrip("?.!").strip()
