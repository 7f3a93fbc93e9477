"""A flashcard's public id: `<study content id>.<card key>` (cards live inside their set's payload)."""

from __future__ import annotations

import uuid


def compose(content_id: uuid.UUID | str, card_key: str) -> str:
    return f"{content_id}.{card_key}"


def split(card_id: str) -> tuple[uuid.UUID, str] | None:
    content, _, key = card_id.partition(".")
    try:
        return uuid.UUID(content), key
    except ValueError:
        return None
