"""The methods a path supports, read from the app's own OpenAPI document: one source of truth for
the `Allow` header of a 405, however the routes for one path are split across handlers."""

from __future__ import annotations

import re

from fastapi import FastAPI

_PARAMETER = re.compile(r"\\\{[^/]+?\\\}")


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    table = getattr(app.state, "allowed_methods_table", None)
    if table is None:
        table = [
            (re.compile("^" + _PARAMETER.sub("[^/]+", re.escape(template)) + "$"), sorted(m.upper() for m in item))
            for template, item in app.openapi()["paths"].items()
        ]
        app.state.allowed_methods_table = table
    return sorted({m for pattern, found in table if pattern.match(path) for m in found})
