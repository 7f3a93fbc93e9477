"""The OpenAPI document tells the truth about errors: every error answer has the one shape
`{"error": {"code", "message", "fields"?}}` (api/errors.py), and each operation lists the error
statuses it can give — 401 where a token is needed, 404 where the path names an object, 413 where
there is a body, 422 where there is input — besides the ones its route declares (`RATE_LIMITED`
on generation routes, 409, 503...). Clients generated from it (web/src/api) and the fuzzer rely on that."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[FieldProblem] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


_DESCRIPTIONS = {
    400: "the request cannot be carried out as sent (e.g. a body that cannot be parsed)",
    401: "no valid bearer token (or webhook signature)",
    403: "the object exists for you to know of, but your role does not allow this (services/policy.py)",
    409: "the object is not in a state that allows this",
    410: "the object existed but is no longer usable (e.g. an expired invitation)",
    404: "no such object for you (another learner's or organisation's answers this too)",
    413: "the body is over the size limit",
    422: "invalid input; `fields` names each problem",
    429: "rate limit or quota reached (`Retry-After` says when to retry)",
    503: "a service behind the API is unavailable; retry later",
}
_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}

# FastAPI's `responses=` type: `{404: ...}` alone infers `dict[int, dict[str, str]]`, which it refuses.
Responses = dict[int | str, dict[str, Any]]

# For the routes behind `generation_rate_limit` or a quota.
RATE_LIMITED: Responses = {429: {"description": _DESCRIPTIONS[429]}}
UNAVAILABLE: Responses = {503: {"description": _DESCRIPTIONS[503]}}
BAD_REQUEST: Responses = {400: {"description": _DESCRIPTIONS[400]}}
CONFLICT: Responses = {409: {"description": _DESCRIPTIONS[409]}}
UNSIGNED: Responses = {401: {"description": _DESCRIPTIONS[401]}}
NOT_FOUND: Responses = {404: {"description": _DESCRIPTIONS[404]}}
FORBIDDEN: Responses = {403: {"description": _DESCRIPTIONS[403]}}
GONE: Responses = {410: {"description": _DESCRIPTIONS[410]}}


def install_openapi_document(app: FastAPI) -> None:
    def document() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = _build(app)
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def _build(app: FastAPI) -> dict:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (FieldProblem, ErrorDetail, ErrorBody):
        components[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
    # FastAPI's own validation-error schemas describe a body this API never sends.
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            statuses = {422} if operation.get("parameters") or "requestBody" in operation else set()
            if operation.get("security"):
                statuses.add(401)
            if "{" in path:
                statuses.add(404)
                if operation.get("security"):
                    # Someone else's object: their tutor or an admin may know it, not always act on it.
                    statuses.add(403)
            if "requestBody" in operation:
                statuses |= {400, 413}
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(str(status), {"description": _DESCRIPTIONS[status]})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {"application/json": {"schema": _ERROR_REF}}
    return schema
