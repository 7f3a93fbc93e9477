"""Conditional GET for status reads: an `ETag` on the body, and `304 Not Modified` with no body
when the client's `If-None-Match` still matches, so a poller that sees nothing new pays for no
transfer or parsing. The browser revalidates on its own (`Cache-Control: private, no-cache`:
kept only by this browser, never used without asking)."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel

from api.openapi_errors import Responses

NOT_MODIFIED: Responses = {304: {"description": "unchanged since the `ETag` sent in `If-None-Match`"}}


def conditional_json(request: Request, view: BaseModel) -> Response:
    """The view serialised once (the route's `response_model` still documents it)."""
    body = view.model_dump_json(by_alias=True).encode()
    etag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    # Weak comparison (RFC 9110 §13.1.2): W/"x" matches "x".
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))
