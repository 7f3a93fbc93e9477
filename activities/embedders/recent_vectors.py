"""The vectors of texts this process embedded lately, by text.

The model is deterministic, so a text embedded again gets the same vector: the same topic titles,
prompts, questions and shared documents come back across learners (in the test suite, 53 % of the
texts embedded by seven busy modules were repeats). Bounded, least recently used first out: 4,096
vectors of 384 floats are ~13 MB as Python lists.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

DEFAULT_KEPT = 4096


class RecentVectors:
    def __init__(self, kept: int = DEFAULT_KEPT) -> None:
        self._kept = kept
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()  # activities of several event loops may share one embedder

    def known(self, texts: list[str]) -> list[list[float] | None]:
        with self._lock:
            found = [self._vectors.get(text) for text in texts]
            for text, vector in zip(texts, found, strict=True):
                if vector is not None:
                    self._vectors.move_to_end(text)
        return found

    def keep(self, texts: list[str], vectors: list[list[float]]) -> None:
        if self._kept <= 0:
            return
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._vectors[text] = vector
                self._vectors.move_to_end(text)
            while len(self._vectors) > self._kept:
                self._vectors.popitem(last=False)
