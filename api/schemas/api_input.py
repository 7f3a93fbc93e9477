"""The one place request text is checked: every request body model derives from ApiInput.

PostgreSQL cannot store NUL in text or JSON, and no learner types the other C0 control
characters; either in any string of a body (nested models, lists and dict keys included) is a 422
naming the field, before a route sees it. Tabs and line breaks are ordinary text."""

from __future__ import annotations

import re
import typing

from pydantic import BaseModel, ValidationInfo, field_validator

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
    @field_validator("*", mode="before")
    @classmethod
    def _printable_text(cls, value: object, info: ValidationInfo) -> object:
        field = cls.model_fields.get(info.field_name or "")
        if field is None or not _is_checked_model(field.annotation):
            _refuse_control_characters(value)
        return value
