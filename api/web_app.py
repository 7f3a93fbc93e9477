"""Serves the built web app (`web/dist`) at `/`.

Hashed files under /assets never change, so browsers keep them for a year; index.html is
revalidated on every load so a new deploy is picked up at once. Any other GET that no API route
matched gets index.html (the app's client-side routes), except under the API's own prefixes,
where an unknown path keeps the API's JSON 404.
"""

from __future__ import annotations

import base64
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.convertors import Convertor, register_url_convertor

from studyflow.settings import Settings

IMMUTABLE = "public, max-age=31536000, immutable"


class WebPathConvertor(Convertor):
    """Any path outside the API's own, so an unknown /v1 path keeps its JSON 404 and 405."""

    regex = r"(?!(?:v1|docs|redoc|openapi\.json|healthz|readyz)(?:/|$)).*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("webpath", WebPathConvertor())

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>studyflow</title></head>
<body><main><h1>The web app is not built yet</h1>
<p>Run <code>make web</code> (or <code>make dev</code>, which builds it when its sources change), then reload.</p>
<p>The API itself is running: see <a href="/docs">/docs</a>.</p></main></body></html>"""


class HashedAssets(StaticFiles):
    async def get_response(self, path: str, scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE
        return response


def content_security_policy(settings: Settings) -> str:
    """LLM-written text is rendered by the app; this keeps any script that slipped through inert."""
    scripts = ["'self'"]
    connect = ["'self'"]
    clerk_origin = clerk_frontend_origin(settings.clerk_publishable_key)
    if not settings.uses_embedded_auth and clerk_origin:
        scripts.append(clerk_origin)
        connect.append(clerk_origin)
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {' '.join(scripts)}",
            f"connect-src {' '.join(connect)}",
            "img-src 'self' data: https:",
            "style-src 'self' 'unsafe-inline'",
            "frame-src 'self' https://*.clerk.accounts.dev https://*.clerk.com",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


def clerk_frontend_origin(publishable_key: str | None) -> str | None:
    """Clerk encodes its Frontend API host in the key: pk_(test|live)_base64("host$")."""
    if not publishable_key or publishable_key.count("_") < 2:
        return None
    encoded = publishable_key.split("_", 2)[2]
    try:
        host = base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode().rstrip("$")
    except (ValueError, UnicodeDecodeError):
        return None
    return f"https://{host}" if host and "/" not in host and " " not in host else None


def mount_web_app(app: FastAPI, settings: Settings) -> None:
    dist: Path = settings.web_dist_dir
    index = dist / "index.html"
    csp = content_security_policy(settings)
    if (dist / "assets").is_dir():
        app.mount("/assets", HashedAssets(directory=dist / "assets"), name="web-assets")

    @app.get("/{path:webpath}", include_in_schema=False)
    async def web_app(path: str) -> Response:
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": "no-store"})
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate, headers={"Cache-Control": "public, max-age=3600"})
        return FileResponse(
            index,
            media_type="text/html",
            headers={"Cache-Control": "no-cache", "Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff"},
        )
