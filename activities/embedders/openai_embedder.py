"""OpenAI-compatible embeddings endpoint, asking for 384 dimensions."""

from __future__ import annotations

import math

from activities.embedders.base import DIMENSIONS
from activities.llm.clients import OpenAIClients
from studyflow.settings import Settings

_BATCH = 128


class OpenAIEmbedder:
    def __init__(self, settings: Settings):
        self._settings = settings
        self.model_name = settings.embedding_model
        self._clients = OpenAIClients(settings.llm_timeout_seconds, max_retries=2)

    def preload(self) -> None:
        """Nothing to load: the endpoint holds the model."""

    async def embed(self, texts: list[str]) -> list[list[float]]:
        s = self._settings
        client = self._clients.get(
            s.openai_base_url, s.openai_api_key.get_secret_value() if s.openai_api_key else "not-needed"
        )
        vectors: list[list[float]] = []
        for start in range(0, len(texts), _BATCH):
            response = await client.embeddings.create(
                model=self.model_name, input=texts[start : start + _BATCH], dimensions=DIMENSIONS
            )
            vectors += [_unit(item.embedding) for item in sorted(response.data, key=lambda d: d.index)]
        if any(len(v) != DIMENSIONS for v in vectors):
            raise ValueError(f"embedding model {self.model_name} did not return {DIMENSIONS} dimensions")
        return vectors


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]
