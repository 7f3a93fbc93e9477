"""One JSON error shape for every 4xx/5xx: {"error": {"code", "message"[, "fields"]}}."""

from __future__ import annotations

import asyncio
import logging

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from temporalio.service import RPCError

from api import validation_messages
from api.allowed_methods import allowed_methods
from services.errors import CODES, ServiceError

log = logging.getLogger("studyflow.api")
RETRY_AFTER_SECONDS = 5


class ApiError(ServiceError):
    """A refusal decided by the API layer itself (authentication, parsing, limits of the HTTP
    request); services raise ServiceError. Both answer the same way."""


# What a refusal may echo of the request: a 1 MB invalid value (or dict key) was once sent back
# whole. Enough to recognise the field and the value, never the whole of either.
ECHO_PART = 64
ECHO_MESSAGE = 300
MAX_FIELDS = 20


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def _body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": _clip(message, 4 * ECHO_MESSAGE), **extra}}


def _field_path(loc: tuple, body: object = None) -> str:
    parts = [part for part in loc if part != "body"]
    # A body that is one of several models chosen by its `kind` (goals): pydantic puts the kind
    # in the path ("course_by_date.due_date"); the learner's form has just "due_date".
    if parts and isinstance(body, dict) and parts[0] == body.get("kind") and len(parts) > 1:
        parts = parts[1:]
    if loc[:1] == ("body",):
        parts = _places_in(parts, body)
    return ".".join(_clip(str(part), ECHO_PART) for part in parts) or "body"


def _places_in(parts: list, body: object) -> list:
    """The path without the tags pydantic adds for each member of a union (`answers.q1.int`,
    `answers.q1.constrained-str`): a part under a plain value is such a tag, not a place."""
    kept, value, walking = [], body, True
    for part in parts:
        if not walking:
            kept.append(part)
        elif isinstance(value, dict):
            kept.append(part)
            walking, value = part in value, value.get(part)
        elif isinstance(value, list):
            kept.append(part)
            walking = isinstance(part, int) and 0 <= part < len(value)
            value = value[part] if walking else None
    return kept


def _field_error(err: dict, body: object = None) -> dict[str, str]:
    if err.get("type") == "json_invalid":
        # FastAPI reports the character offset as the location; say it the way a person reads it.
        position = next((part for part in err.get("loc", ()) if isinstance(part, int)), None)
        reason = (err.get("ctx") or {}).get("error", "invalid JSON")
        where = f" at character {position}" if position is not None else ""
        return {"field": "body", "message": f"malformed JSON{where}: {reason}"}
    field = validation_messages.field_error(_field_path(tuple(err.get("loc", ())), body), err)
    return {**field, "message": _clip(field["message"], ECHO_MESSAGE)}


def _malformed_path_id(errors: list[dict]) -> str | None:
    """The thing a path names when its id cannot even be parsed: such a link leads nowhere, the
    same as an id that does not exist (and retrying cannot help)."""
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if len(loc) == 2 and loc[0] == "path" and str(loc[1]).endswith("_id"):
            return str(loc[1])[: -len("_id")].replace("_", " ")
    return None


async def _hold_refusal(seconds: float) -> None:
    """A 429 is held this long before it is sent, at no CPU cost and holding no database
    connection (the request's session is closed before the handler runs). A learner who waits
    out Retry-After never notices; a client that ignores it and retries at once is slowed to one
    try per this many seconds per connection, instead of costing the API ~4 ms of CPU per
    refusal as fast as it can send (`make abuse`: ~70 refused requests a second, a third of two
    cores, before this)."""
    if seconds > 0:
        await asyncio.sleep(seconds)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _refused(request: Request, exc: ServiceError) -> JSONResponse:
        if exc.status == 429:
            await _hold_refusal(request.app.state.settings.refusal_delay_seconds)
        headers = exc.headers
        if exc.status == 503 and not (headers and "Retry-After" in headers):
            # Every "unavailable" is temporary by definition: say when to come back.
            headers = {**(headers or {}), "Retry-After": str(RETRY_AFTER_SECONDS)}
        return JSONResponse(_body(exc.code, exc.message), status_code=exc.status, headers=headers)

    @app.exception_handler(RPCError)
    async def _temporal_unavailable(_: Request, exc: RPCError) -> JSONResponse:
        log.warning("Temporal unavailable: %s", exc)
        return JSONResponse(
            _body("unavailable", "the workflow service is unavailable; retry shortly"),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(PoolTimeoutError)
    async def _pool_exhausted(_: Request, exc: Exception) -> JSONResponse:
        # No connection free in the engine's pool within DATABASE_POOL_TIMEOUT_SECONDS: overloaded,
        # not broken, and nothing was done; the client should come back, so 503 and not a 500.
        log.warning("database pool exhausted: %s", str(exc).splitlines()[0][:200])
        return JSONResponse(
            _body("unavailable", "the server is busy (no database connection free); retry shortly"),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    # The polled reads' pool (db/read_pool.py) raises psycopg's own; its PoolTimeout (no
    # connection within the pool's timeout: the database is down or overwhelmed) is one of them.
    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(psycopg.InterfaceError)
    async def _database_unavailable(_: Request, exc: Exception) -> JSONResponse:
        # A restarting or unreachable database: the request did nothing durable (its transaction
        # rolled back), so the client may simply retry.
        log.warning("database unavailable: %s", str(exc).splitlines()[0][:200])
        return JSONResponse(
            _body("unavailable", "the database is unavailable; retry shortly"),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if thing := _malformed_path_id(errors):
            return JSONResponse(_body("not_found", f"{thing} not found"), status_code=404)
        # A body of 10,000 bad values is named by its first few.
        fields = [_field_error(err, exc.body) for err in errors[:MAX_FIELDS]]
        # A value no member of a union accepts is one problem in one place, said once.
        fields = [f for n, f in enumerate(fields) if f["field"] not in {g["field"] for g in fields[:n]}]
        return JSONResponse(
            _body("validation_error", validation_messages.summary(fields), fields=fields), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = CODES.get(exc.status_code, "error")
        message = str(exc.detail)
        limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 413 and limit is not None:
            message = f"the request body is larger than the {limit:,}-byte limit"
        elif exc.status_code == 400 and message == "There was an error parsing the body":
            message = "the body could not be parsed as its Content-Type says (JSON must be UTF-8 text)"
        elif exc.status_code == 405:
            # Starlette lists the methods of the first route that matched the path; say all of them.
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request.app, request.url.path))}
        return JSONResponse(_body(code, message), status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        # The connection may be in any state now: the client is told to open a new one, not
        # left to find this one reset.
        return JSONResponse(
            _body("internal_error", "internal server error"), status_code=500, headers={"Connection": "close"}
        )
