"""What the gateway sends: the finished messages and how to read the reply. Built by
`activities.llm.prompts`; the gateway never reaches back into the prompts."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Prompt:
    purpose: str
    schema_name: str
    version: str  # recorded on every ledger row and part of every cache scope
    messages: list[dict] = field(default_factory=list)
    temperature: float | None = None
    schema: dict | None = None  # a request-specific JSON schema (default: the output model's)
