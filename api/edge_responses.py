"""The last layer every answer passes through, outside all that FastAPI adds itself.

FastAPI's request-body limit and its last-resort 500 handler sit outside the app's own middleware,
so their answers went out as plain text ("Content Too Large", 413) without the JSON error shape or
the security headers, and a 500 left the connection to be reset. Here an error answer in plain
text or JSON whose body is not already `{"error": {...}}` is rewritten into it (its status kept;
the web app's HTML pages stay as they are), and a 5xx says
`Connection: close` so the client opens a fresh connection rather than meeting a reset. The
security headers are added outside this (api/security_headers.py)."""

from __future__ import annotations

import json

from starlette.datastructures import MutableHeaders
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.errors import CODES

# Probes answer 503 with their own documented body (which check failed), read by operators and
# orchestrators, not by the web app.
PROBES = frozenset({"/healthz", "/readyz"})

# An error body larger than this is passed through as it is (none of ours is near it).
MAX_BUFFERED = 64 * 1024


def _has_error_shape(body: bytes) -> bool:
    try:
        document = json.loads(body)
    except ValueError:
        return False
    return isinstance(document, dict) and isinstance(document.get("error"), dict)


def _rewritable(start: Message) -> bool:
    """Plain text or JSON (or nothing said); a page meant for a browser (the web app's HTML) stays."""
    kind = MutableHeaders(scope=start).get("content-type", "").split(";")[0].strip().lower()
    return kind in ("", "text/plain", "application/json")


def _message(status: int, scope: Scope, body: bytes) -> str:
    limit = scope.get(MAX_BODY_SIZE_SCOPE_KEY)
    if status == 413 and limit is not None:
        return f"the request body is larger than the {limit:,}-byte limit"
    if status == 500:
        return "internal server error"
    text = body.decode("utf-8", errors="replace").strip()
    try:
        detail = json.loads(text).get("detail")  # FastAPI's own shape
        text = detail if isinstance(detail, str) else text
    except (ValueError, AttributeError):
        pass
    return text[:200] or "request refused"


class ErrorShapeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in PROBES:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0

        async def shaped_send(message: Message) -> None:
            nonlocal start, size
            if message["type"] == "http.response.start":
                if message["status"] < 400:
                    await send(message)
                    return
                if message["status"] >= 500:
                    MutableHeaders(scope=message)["connection"] = "close"
                start = message  # hold it until the body says whether it needs rewriting
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if message.get("more_body", False) and size <= MAX_BUFFERED:
                return
            await _flush(start, final=not message.get("more_body", False))

        async def _flush(held: Message, *, final: bool) -> None:
            nonlocal start
            body = b"".join(chunks)
            start = None
            chunks.clear()
            if final and _rewritable(held) and not _has_error_shape(body):
                status = held["status"]
                body = json.dumps(
                    {"error": {"code": CODES.get(status, "error"), "message": _message(status, scope, body)}}
                ).encode()
                headers = MutableHeaders(scope=held)
                headers["content-type"] = "application/json"
                headers["content-length"] = str(len(body))
            await send(held)
            await send({"type": "http.response.body", "body": body, "more_body": not final})

        await self.app(scope, receive, shaped_send)
