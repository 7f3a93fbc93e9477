"""A text embedded again is answered from the process's recent vectors, not the model: the same
vector, never a shared list, and the oldest forgotten first when the bound is reached."""

from __future__ import annotations

import numpy as np
import pytest

from activities.embedders.local import LocalEmbedder, onnx_importable
from activities.embedders.recent_vectors import RecentVectors
from tests.support.app import MODEL_CACHE


def test_the_least_recently_used_vector_is_forgotten_first():
    recent = RecentVectors(kept=2)
    recent.keep(["a", "b"], [[1.0], [2.0]])
    assert recent.known(["a"]) == [[1.0]]  # "a" is now the most recently used
    recent.keep(["c"], [[3.0]])
    assert recent.known(["a", "b", "c"]) == [[1.0], None, [3.0]]


def test_nothing_is_kept_when_told_to_keep_none():
    recent = RecentVectors(kept=0)
    recent.keep(["a"], [[1.0]])
    assert recent.known(["a"]) == [None]


@pytest.mark.skipif(not onnx_importable(), reason="onnxruntime is not installed")
async def test_repeated_texts_reach_the_model_once_and_get_its_vectors():
    embedder = LocalEmbedder("onnx", 1, MODEL_CACHE)
    embedder.preload()
    await embedder.embed(["warm up"])
    encoded: list[str] = []
    model = embedder._encode_batch

    def counting(texts):
        encoded.extend(texts)
        return model(texts)

    embedder._encode_batch = counting
    first = await embedder.embed(["inner joins match keys", "a left join keeps rows", "inner joins match keys"])
    assert sorted(encoded) == ["a left join keeps rows", "inner joins match keys"]
    assert first[0] == first[2]

    first[0][0] = 42.0  # a caller changing its copy changes nothing kept
    again = await embedder.embed(["a left join keeps rows", "inner joins match keys", "cross joins pair rows"])
    assert encoded[2:] == ["cross joins pair rows"]
    assert again[0] == first[1] and again[1] == first[2] and again[1][0] != 42.0

    fresh = LocalEmbedder("onnx", 1, MODEL_CACHE)
    assert np.allclose(
        again,
        await fresh.embed(["a left join keeps rows", "inner joins match keys", "cross joins pair rows"]),
        atol=1e-6,
    )
