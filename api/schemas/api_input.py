"""The one place request text is checked: every request body model derives from ApiInput.

Refused in any string of a body (nested models, lists and dict keys included), as a 422 naming the
field, before a route sees it:
- NUL and the other C0 control characters (PostgreSQL cannot store NUL; no learner types the
  rest) and the C1 controls U+0080–U+009F; tabs and line breaks are ordinary text;
- the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make text read
  differently from what it holds ("Trojan Source");
- a string that is nothing but invisible format characters (zero-width spaces and joiners, the
  BOM, soft hyphens, variation selectors), perhaps with whitespace: it looks empty but is not;
  and one that is nothing but whitespace (the empty string is left to each field's own rule).

The OpenAPI document states the same rule as a pattern on every string (`PRINTABLE_PATTERN`), so
generated clients and the fuzzers know it; tests/test_input_hardening.py checks the two agree."""

from __future__ import annotations

import re
import typing

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

# Character classes as JSON Schema (ECMA-262) and Python's re both read them.
_C0 = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f"
_C1 = "\\u0080-\\u009f"
_BIDI = "\\u202a-\\u202e\\u2066-\\u2069"
_REFUSED = _C0 + _C1 + _BIDI
# Invisible format characters: nothing on screen, and no whitespace either.
_INVISIBLE = "\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2060-\\u2064\\u206a-\\u206f\\ufe00-\\ufe0f\\ufeff"
# Whitespace as Python's str.split() sees it, less the control characters refused anyway.
_WS = "\\t\\n\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"

_REFUSED_CHARACTER = re.compile(f"[{_REFUSED}]")
_INVISIBLE_CHARACTER = re.compile(f"[{_INVISIBLE}]")
_SHOWN_CHARACTER = re.compile(f"[^{_REFUSED}{_WS}{_INVISIBLE}]")

# Empty, or anything printable with at least one character that shows (whitespace alone is blank:
# the models strip it, and a required field is then empty).
PRINTABLE_PATTERN = f"^(?:|[^{_REFUSED}]*[^{_REFUSED}{_WS}{_INVISIBLE}][^{_REFUSED}]*)$"

# A topic: printable (the pattern above), and at least three characters once its whitespace is
# collapsed (this one, beside it in the document).
_SPACE = f"[{_WS}]"
_VISIBLE = "[^\\u0000-\\u0020\\u007f\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
_PRINTABLE = f"[^{_REFUSED}]"
TOPIC_PATTERN = (
    f"^{_SPACE}*({_VISIBLE}{_SPACE}*{_VISIBLE}{_SPACE}*{_VISIBLE}|{_VISIBLE}{_SPACE}+{_VISIBLE}){_PRINTABLE}*$"
)


def document_printable_text(schema: dict) -> None:
    """Adds the pattern to every string property of a model's JSON schema that has none."""
    for prop in schema.get("properties", {}).values():
        for option in [prop, *prop.get("anyOf", [])]:
            if option.get("type") == "string" and "pattern" not in option and "format" not in option:
                option["pattern"] = PRINTABLE_PATTERN
            if option.get("type") == "object" and "additionalProperties" in option:
                option.setdefault("propertyNames", {"pattern": PRINTABLE_PATTERN})
                # Values are checked like keys (refuse_unprintable walks both).
                values = option["additionalProperties"]
                if isinstance(values, dict) and values.get("type") == "string" and "pattern" not in values:
                    values["pattern"] = PRINTABLE_PATTERN


def refuse_unprintable(value: object) -> None:
    if isinstance(value, str):
        found = _REFUSED_CHARACTER.search(value)
        if found:
            character = ord(found.group())
            kind = "bidirectional control" if 0x202A <= character <= 0x2069 else "control character"
            raise ValueError(f"contains the {kind} U+{character:04X}, which text may not hold")
        if value and not _SHOWN_CHARACTER.search(value):
            if _INVISIBLE_CHARACTER.search(value):
                raise ValueError("holds only invisible characters (zero-width or format characters)")
            raise ValueError("is blank: it holds only whitespace")
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_unprintable(key)
            refuse_unprintable(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            refuse_unprintable(item)


def _is_checked_model(annotation: object) -> bool:
    """True when the field holds an ApiInput (possibly optional or in a list): that model checks
    its own fields, so the error names the nested field rather than the whole object."""
    if isinstance(annotation, type) and issubclass(annotation, ApiInput):
        return True
    return any(_is_checked_model(arg) for arg in typing.get_args(annotation))


class ApiInput(BaseModel):
    model_config = ConfigDict(json_schema_extra=lambda schema, _: document_printable_text(schema))

    @field_validator("*", mode="before")
    @classmethod
    def _printable_text(cls, value: object, info: ValidationInfo) -> object:
        field = cls.model_fields.get(info.field_name or "")
        if field is None or not _is_checked_model(field.annotation):
            refuse_unprintable(value)
        return value
