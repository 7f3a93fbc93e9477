"""The one place request text is checked: every request body model derives from ApiInput.

PostgreSQL cannot store NUL in text or JSON, and no learner types the other C0 control
characters; either in any string of a body (nested models, lists and dict keys included) is a 422
naming the field, before a route sees it. Tabs and line breaks are ordinary text."""

from __future__ import annotations

import re
import typing

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same rule in the OpenAPI document, so generated clients and fuzzers know it.
PRINTABLE_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"

# Whitespace as Python's str.split() sees it, and a printable character that is not whitespace.
_SPACE = "[\\t\\n\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
_VISIBLE = "[^\\u0000-\\u0020\\u007f\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
_PRINTABLE = "[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]"
# A topic: printable, and at least three characters once its whitespace is collapsed.
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


def _refuse_control_characters(value: object) -> None:
    if isinstance(value, str):
        found = _CONTROL.search(value)
        if found:
            raise ValueError(f"contains the control character U+{ord(found.group()):04X}, which text may not hold")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_control_characters(key)
            _refuse_control_characters(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _refuse_control_characters(item)


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
            _refuse_control_characters(value)
        return value
