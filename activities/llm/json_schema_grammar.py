"""Make a pydantic JSON schema usable as a llama.cpp grammar.

llama.cpp turns the schema into a GBNF grammar; string length bounds expand into one rule per
character (a 300-character bound does not even parse) and descriptions add nothing. The
structure (objects, required keys, arrays, types) is what constrains the small model; length and
content rules are still enforced afterwards by the same pydantic validation as for any model.
Optional fields (`X | None`) are asked for as plain X: llama.cpp reads a union before any
sibling `enum`, so `{"anyOf": [integer, null], "enum": [0..3]}` would let the model write -1.
"""

from __future__ import annotations

from typing import Any

_DROPPED = {"pattern", "format", "description", "title", "default"}
_MAX_ITEMS_CAP = 12
_MAX_LENGTH_KEPT = 160  # longer bounds blow up the grammar (300 does not parse)


def grammar_friendly(schema: Any) -> Any:
    if isinstance(schema, dict):
        cleaned = {
            key: grammar_friendly(value)
            for key, value in schema.items()
            # "title" is also a property name: drop it only where it is schema metadata.
            if key not in _DROPPED or key == "title" and isinstance(value, dict)
        }
        cleaned = _without_null_branch(cleaned)
        for bound in ("minLength", "maxLength"):
            if cleaned.get(bound, 0) > _MAX_LENGTH_KEPT:
                del cleaned[bound]
        if "maxItems" in cleaned:
            cleaned["maxItems"] = min(cleaned["maxItems"], _MAX_ITEMS_CAP)
        if cleaned.get("type") == "object" and "properties" in cleaned:
            # Every field is written: a small model otherwise skips the ones with defaults.
            cleaned["required"] = list(cleaned["properties"])
        return cleaned
    if isinstance(schema, list):
        return [grammar_friendly(item) for item in schema]
    return schema


def _without_null_branch(schema: dict) -> dict:
    branches = schema.get("anyOf")
    if not isinstance(branches, list):
        return schema
    non_null = [branch for branch in branches if branch != {"type": "null"}]
    if len(non_null) != 1 or len(non_null) == len(branches):
        return schema
    merged = {key: value for key, value in schema.items() if key != "anyOf"}
    return {**non_null[0], **merged}
