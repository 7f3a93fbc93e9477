from __future__ import annotations

from typing import Protocol

from db.models import EMBEDDING_DIMENSIONS

DIMENSIONS = EMBEDDING_DIMENSIONS
# all-MiniLM-L6-v2 reads at most 256 word pieces; chunks are sized to stay inside it.
MAX_INPUT_WORDS = 160


class Embedder(Protocol):
    model_name: str

    async def embed(self, texts: list[str]) -> list[list[float]]:
        """Unit-length vectors of DIMENSIONS floats, one per text, in order."""
        ...

    def preload(self) -> None:
        """Start loading whatever the first call would wait for, without waiting for it."""
        ...
