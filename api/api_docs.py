"""/docs: Swagger UI served from this server, not a CDN.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; the API's
Content-Security-Policy (`default-src 'none'`) forbids both, so the page was blank in a browser.
Here the assets come from the `swagger-ui-bundle-v2` package, the start-up script is a file of
ours, and the page gets a policy of its own that allows exactly that: scripts, styles and
images from this origin, and fetching /openapi.json. /redoc (CDN-only) is off."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# The few files the page uses (the package also ships source maps and a demo page).
ASSETS = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>studyflow API</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
"""

START = """window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
"""


def install_api_docs(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(PAGE, headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"})

    @app.get("/docs/start.js", include_in_schema=False)
    async def start() -> Response:
        return Response(START, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    @app.get("/docs/assets/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise HTTPException(404, f"no docs asset {name[:64]}")
        # The package's version is in its path: a new one is a new deploy, so a day is safe.
        return FileResponse(swagger_ui_path / name, headers={"Cache-Control": "public, max-age=86400"})
