"""Text embeddings behind one interface; the backend is a setting (EMBEDDING_BACKEND)."""

from __future__ import annotations

from activities.embedders.base import Embedder
from studyflow.settings import Settings


def build_embedder(settings: Settings) -> Embedder:
    if settings.embedding_backend == "openai":
        from activities.embedders.openai_embedder import OpenAIEmbedder

        return OpenAIEmbedder(settings)
    from activities.embedders.local import shared_local_embedder

    return shared_local_embedder(settings.embedding_runtime, settings.embedding_thread_count, settings.model_cache_root)


__all__ = ["Embedder", "build_embedder"]
