"""Pydantic's validation errors said the way a learner reads them, one sentence per field.

The web app shows each sentence next to its field; the error's top-level message joins them with
the field's label, so an API client that shows only that still says something a person can act
on. Raw parser output ("Input should be a valid date or datetime, input is too short", a regular
expression) is never shown: every type a request can fail on has a sentence here."""

from __future__ import annotations

from typing import Any

# How a field is named to a learner (the last part of its path).
LABELS = {
    "user": "Name",
    "topic": "Topic",
    "course_id": "Course",
    "due_date": "Date",
    "url": "Web address",
    "target": "Target",
    "days": "Days",
    "question": "Question",
    "answers": "Answers",
    "kind": "Goal type",
    "rating": "Rating",
    "difficulty": "Level",
    "course_type": "Kind of course",
    "source_ids": "Material",
    "duration_seconds": "Time taken",
    "seconds": "Time",
}

# Field-specific sentences for rules whose generic wording would mean nothing (a pattern).
_BY_FIELD: dict[tuple[str, str], str] = {
    ("topic", "string_pattern_mismatch"): "Enter a topic of at least three letters, for example “SQL joins”.",
    ("topic", "missing"): "Enter a topic, for example “SQL joins”.",
    ("topic", "string_too_short"): "Enter a topic of at least three letters, for example “SQL joins”.",
    ("user", "string_pattern_mismatch"): "Use letters or digits in your name.",
    ("user", "missing"): "Enter your name.",
    ("course_id", "missing"): "Choose a course.",
    ("due_date", "missing"): "Choose a date.",
    ("question", "missing"): "Type a question.",
    ("url", "url_parsing"): "Enter a web address starting with http:// or https://.",
    ("url", "url_scheme"): "Enter a web address starting with http:// or https://.",
}

_DATE_TYPES = {
    "date_parsing",
    "date_from_datetime_parsing",
    "date_from_datetime_inexact",
    "date_type",
    "datetime_parsing",
    "datetime_from_date_parsing",
    "datetime_type",
}


def _expected(ctx: dict[str, Any]) -> str:
    text = str(ctx.get("expected") or ctx.get("expected_tags") or "")
    return text.replace("'", "")


def _sentence(kind: str, ctx: dict[str, Any], raw: str, given: Any) -> str:
    if kind in _DATE_TYPES:
        return "Choose a date." if given in ("", None) else "Enter a date, for example 2026-12-20."
    if kind == "missing":
        return "This is required."
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "This cannot be empty." if n == 1 else f"Use at least {n} characters."
    if kind == "string_too_long":
        return f"Use at most {ctx.get('max_length')} characters."
    if kind == "string_pattern_mismatch":
        return "This contains characters that are not allowed here."
    if kind in ("uuid_parsing", "uuid_type", "uuid_version"):
        return "This is not a valid id."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "Enter a whole number."
    if kind in ("float_parsing", "float_type", "decimal_parsing", "decimal_type"):
        return "Enter a number."
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return f"Enter a number of at least {bound}." if kind == "greater_than_equal" else f"Enter more than {bound}."
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        return f"Enter at most {bound}." if kind == "less_than_equal" else f"Enter less than {bound}."
    if kind in ("literal_error", "enum", "union_tag_invalid"):
        return f"Choose one of: {_expected(ctx)}."
    if kind == "union_tag_not_found":
        return f"Say which kind: {ctx.get('discriminator', 'kind').strip(chr(39))} is missing."
    if kind == "too_short":
        return f"Choose at least {ctx.get('min_length')}."
    if kind == "too_long":
        return f"Choose at most {ctx.get('max_length')}."
    if kind == "extra_forbidden":
        return "This field is not accepted."
    if kind in ("bool_parsing", "bool_type"):
        return "Choose yes or no."
    if kind in ("url_parsing", "url_scheme", "url_type"):
        return "Enter a web address starting with http:// or https://."
    if kind in ("dict_type", "model_type", "list_type", "model_attributes_type", "string_type"):
        return "This has the wrong form."
    if kind in ("value_error", "assertion_error"):
        # Our own validators' messages, written for people; pydantic prefixes "Value error, ".
        return raw.split(", ", 1)[1] if raw.startswith(("Value error, ", "Assertion failed, ")) else raw
    return raw


def label(field: str) -> str:
    last = next((part for part in reversed(field.split(".")) if not part.isdigit()), field)
    return LABELS.get(last, last.replace("_", " ").capitalize())


def field_error(field: str, err: dict) -> dict[str, str]:
    kind = err.get("type", "")
    last = next((part for part in reversed(field.split(".")) if not part.isdigit()), field)
    sentence = _BY_FIELD.get((last, kind)) or _sentence(
        kind, err.get("ctx") or {}, err.get("msg", ""), err.get("input")
    )
    return {"field": field, "message": sentence}


def summary(fields: list[dict[str, str]]) -> str:
    return " ".join(f"{label(f['field'])}: {f['message']}" for f in fields) or "The request could not be read."
