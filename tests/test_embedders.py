"""The ONNX Runtime embedder gives the torch embedder's vectors (issue 37): the same model, the
same tokenizer settings, mean pooling and normalisation, on 1,000 varied texts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from activities.embedders import build_embedder
from activities.embedders.base import DIMENSIONS
from activities.embedders.local import LocalEmbedder, onnx_importable
from activities.embedders.onnx_export import exported_model, model_fingerprint
from tests.support.app import MODEL_CACHE
from tests.support.embedding_texts import COUNT, TEXTS

pytestmark = pytest.mark.skipif(not onnx_importable(), reason="onnxruntime is not installed")


async def test_onnx_and_torch_embedders_agree_on_1000_texts():
    texts = [json.loads(line) for line in TEXTS.read_text().splitlines()]
    assert len(texts) == len(set(texts)) == COUNT
    onnx = LocalEmbedder("onnx", 1, MODEL_CACHE)
    torch = LocalEmbedder("torch", 1)
    a = np.array(await onnx.embed(texts), dtype=np.float64)
    b = np.array(await torch.embed(texts), dtype=np.float64)
    assert onnx.runtime_in_use == "onnx" and torch.runtime_in_use == "torch"
    assert a.shape == b.shape == (COUNT, DIMENSIONS)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    cosines = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    worst = int(cosines.argmin())
    assert cosines.min() >= 0.9999, f"cosine {cosines.min():.6f} on {texts[worst][:80]!r}"


async def test_the_runtime_is_a_setting_and_auto_prefers_onnx(settings):
    assert build_embedder(settings.model_copy(update={"embedding_runtime": "torch"})) is not build_embedder(settings)
    embedder = build_embedder(settings)
    await embedder.embed(["which runtime"])
    assert embedder.runtime_in_use == "onnx"


def test_an_export_is_keyed_by_the_model_files_and_reused(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    key = model_fingerprint(model)
    cached = tmp_path / "cache" / "minilm-onnx" / f"{key}.onnx"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"exported before")
    assert exported_model(model, tmp_path / "cache") == cached  # no second export
    (model / "config.json").write_text('{"changed": true}')
    assert model_fingerprint(model) != key
