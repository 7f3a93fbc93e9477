"""all-MiniLM-L6-v2 exported to ONNX once, kept under the model cache keyed by the model's files.

The export runs in a child process (`python -m activities.embedders.onnx_export MODEL_DIR OUT`):
it needs torch and transformers, which a worker on the ONNX runtime then never imports (about
300 MB of resident memory it does not carry). The graph is the transformer alone; pooling and
normalisation are the few lines in `onnx_minilm.py`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

# Part of the cache key: a change to how the graph is exported must not reuse an older file.
EXPORT_RECIPE = "torchscript-opset17-eager-v1"
EXPORT_TIMEOUT_SECONDS = 600


def model_fingerprint(model_dir: Path) -> str:
    digest = hashlib.sha256(EXPORT_RECIPE.encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(model_dir)).encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def exported_model(model_dir: Path, cache_dir: Path) -> Path:
    """The ONNX file for this model, exported now if no process has done it before. Concurrent
    exporters (two worker processes starting together) each write their own temporary file and
    rename it into place: a reader sees a whole file or none."""
    target = cache_dir / "minilm-onnx" / f"{model_fingerprint(model_dir)}.onnx"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__, str(model_dir), str(partial)],
            capture_output=True,
            text=True,
            timeout=EXPORT_TIMEOUT_SECONDS,
        )
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            raise RuntimeError(f"exporting the embedding model to ONNX failed: {tail}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _export(model_dir: Path, out: Path) -> None:
    import warnings

    import torch
    from transformers import AutoModel

    warnings.filterwarnings("ignore")
    # Eager attention traces to plain MatMul/Softmax, which ONNX Runtime runs ~5 % faster than
    # the traced scaled-dot-product path; the arithmetic is the same.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = torch.ones(2, 8, dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            LastHiddenState(),
            (sample, torch.ones_like(sample), torch.zeros_like(sample)),
            str(out),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,  # the TorchScript exporter: no onnxscript needed, and one self-contained file
        )


if __name__ == "__main__":
    _export(Path(sys.argv[1]), Path(sys.argv[2]))
