"""all-MiniLM-L6-v2 on ONNX Runtime: the model's own tokenizer, the exported transformer, then
what sentence-transformers' Pooling and Normalize modules define (mean over the tokens the
attention mask keeps, then unit length). `tests/test_embedders.py` holds it to the torch path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import Tokenizer


class OnnxMiniLM:
    def __init__(self, onnx_path: Path, model_dir: Path, threads: int):
        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # tokenizer.json ships padding to a fixed 128 and truncation at 128; sentence-transformers
        # reads up to max_seq_length (256) and pads to the longest text of the batch.
        self._tokenizer.enable_truncation(max_length=config["max_seq_length"])
        self._tokenizer.enable_padding(pad_id=self._tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: on a shared machine a spinning pool burns the
        # CPU that the workflow tasks and the other processes are waiting for.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        # Longest first, as sentence-transformers does: texts of a batch pad to similar lengths.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.empty((len(texts), 0), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            positions = order[start : start + batch_size]
            batch = self._encode_batch([texts[i] for i in positions])
            if vectors.shape[1] == 0:
                vectors = np.empty((len(texts), batch.shape[1]), dtype=np.float32)
            vectors[positions] = batch
        return vectors

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        [hidden] = self._session.run(
            ["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        )
        weights = mask[..., None].astype(np.float32)
        mean = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return mean / np.clip(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12, None)
