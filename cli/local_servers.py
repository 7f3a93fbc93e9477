"""OpenAI-compatible model servers a learner may already run on this machine: Ollama, LM Studio
and llama.cpp's server, each on its usual loopback port. `make dev` offers one it finds instead
of the bundled demo model — it prints the exact setting and does not switch by itself: the
learner may not want that model used, or may run it for something else."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

KNOWN = (
    ("Ollama", "http://127.0.0.1:11434/v1"),
    ("LM Studio", "http://127.0.0.1:1234/v1"),
    ("llama.cpp server", "http://127.0.0.1:8080/v1"),
)
PROBE_SECONDS = 0.5


@dataclass(frozen=True)
class Found:
    name: str
    base_url: str
    models: list[str]

    def env_line(self) -> str:
        model = self.models[0] if self.models else "<model>"
        return f"OPENAI_BASE_URL={self.base_url} OPENAI_MODEL={model} OPENAI_API_KEY=local make dev"


def probe(candidates=KNOWN, timeout: float = PROBE_SECONDS) -> list[Found]:
    """The candidates that answer `GET /models` like an OpenAI-compatible server, quickly."""
    found = []
    with httpx.Client(timeout=timeout) as http:
        for name, base_url in candidates:
            try:
                response = http.get(f"{base_url}/models")
                data = response.json().get("data") if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                continue
            if isinstance(data, list):
                found.append(Found(name, base_url, [m["id"] for m in data if isinstance(m, dict) and m.get("id")]))
    return found


def offer(found: list[Found]) -> str:
    if not found:
        return ""
    lines = ["▸ found a model server on this machine; to use it instead of the bundled demo model, run:"]
    for server in found:
        listed = ", ".join(server.models[:4]) or "no models listed"
        lines.append(f"    {server.env_line()}    # {server.name} ({listed})")
    lines.append("  then `studyflow models` checks it works (JSON mode, latency).")
    return "\n".join(lines)
