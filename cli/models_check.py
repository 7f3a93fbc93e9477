"""`studyflow models`: is each configured LLM endpoint usable? For the primary and the fallback:
reachable, the model listed by `GET /v1/models`, a tiny JSON-mode completion that parses, and the
latency — one verdict line per endpoint, and a non-zero exit when the primary is not usable."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field

import httpx

from studyflow.engines import is_bundled
from studyflow.settings import Settings

OPENAI_URL = "https://api.openai.com/v1"
_SCHEMA = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}},
    "required": ["ok"],
    "additionalProperties": False,
}


@dataclass
class EndpointCheck:
    name: str
    base_url: str
    model: str
    reachable: bool = False
    listed: bool | None = None  # None: the server lists no models (some do not implement it)
    json_ok: bool = False
    latency_ms: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.reachable and self.json_ok and self.listed is not False

    def verdict(self) -> str:
        if self.usable:
            note = (
                " (the bundled demo model: fine for your own material, not for writing courses)"
                if is_bundled(self.model)
                else ""
            )
            return f"✓ {self.name}: {self.model} at {self.base_url} works, JSON mode ok, {self.latency_ms} ms{note}"
        return f"✗ {self.name}: {self.model} at {self.base_url} is not usable: {'; '.join(self.problems)}"


def check(name: str, base_url: str | None, api_key: str | None, model: str, settings: Settings) -> EndpointCheck:
    base = (base_url or OPENAI_URL).rstrip("/")
    result = EndpointCheck(name, base, model)
    headers = {"Authorization": f"Bearer {api_key or 'none'}"}
    timeout = httpx.Timeout(min(settings.llm_timeout_seconds, 30.0), connect=3.0)
    with httpx.Client(timeout=timeout, headers=headers) as http:
        try:
            listing = http.get(f"{base}/models")
        except httpx.HTTPError as error:
            result.problems.append(f"cannot reach it ({type(error).__name__}): is the server running?")
            return result
        result.reachable = True
        if listing.status_code in (401, 403):
            result.problems.append(f"the key was refused ({listing.status_code}): check OPENAI_API_KEY")
            return result
        if listing.status_code == 200:
            ids = [
                m["id"] for m in listing.json().get("data", []) if isinstance(m, dict) and isinstance(m.get("id"), str)
            ]
            result.listed = model in ids
            if not result.listed:
                shown = ", ".join(ids[:5]) or "none"
                result.problems.append(f"model {model!r} is not served there (it lists: {shown})")
        if settings.llm_response_format == "json_object":
            response_format = {"type": "json_object", "schema": _SCHEMA}
        else:
            response_format = {"type": "json_schema", "json_schema": {"name": "models_check", "schema": _SCHEMA}}
        body = {
            "model": model,
            "messages": [{"role": "user", "content": 'Answer with the JSON object {"ok": true} and nothing else.'}],
            "response_format": response_format,
            "max_tokens": 20,
            "temperature": 0,
        }
        started = time.perf_counter()
        try:
            reply = http.post(f"{base}/chat/completions", json=body)
        except httpx.HTTPError as error:
            result.problems.append(f"the test completion failed ({type(error).__name__})")
            return result
        result.latency_ms = int((time.perf_counter() - started) * 1000)
        if reply.status_code != 200:
            result.problems.append(f"the test completion answered {reply.status_code}: {reply.text[:120]}")
            return result
        try:
            content = reply.json()["choices"][0]["message"]["content"]
            result.json_ok = isinstance(json.loads(content), dict)
        except (ValueError, KeyError, IndexError, TypeError):
            result.problems.append("JSON mode does not work: the reply was not a JSON object")
    return result


def run(settings: Settings, out=sys.stdout) -> int:
    primary = check(
        "primary",
        settings.openai_base_url,
        settings.openai_api_key.get_secret_value() if settings.openai_api_key else None,
        settings.openai_model,
        settings,
    )
    checks = [primary]
    fallback_differs = (settings.fallback_base_url, settings.fallback_model) != (
        settings.openai_base_url,
        settings.openai_model,
    )
    if fallback_differs:
        key = settings.fallback_api_key.get_secret_value() if settings.fallback_api_key else None
        checks.append(check("fallback", settings.fallback_base_url, key, settings.fallback_model, settings))
    for item in checks:
        print(item.verdict(), file=out)
    if not fallback_differs:
        print("  fallback: the same endpoint and model as the primary (OPENAI_FALLBACK_* unset)", file=out)
    if not primary.usable:
        print(
            "The primary endpoint is not usable: studyflow's LLM work will fail. Set OPENAI_BASE_URL, "
            "OPENAI_MODEL and OPENAI_API_KEY (see docs/llm.md), or run `make dev` with nothing set "
            "for the bundled demo model.",
            file=out,
        )
        return 1
    return 0
