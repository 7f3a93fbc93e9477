"""The public API's OpenAPI document, as the web app's generated client sees it.

Built with the embedded defaults (so the dev sign-in route is in it) and no environment, so the
committed `web/openapi.json` does not depend on the machine that wrote it.
"""

from __future__ import annotations

import json

from api.app import create_app
from studyflow.settings import Settings


def openapi_document() -> dict:
    settings = Settings(_env_file=None, api_host="127.0.0.1", clerk_jwt_key=None, clerk_secret_key=None)
    return create_app(settings).openapi()


def openapi_json() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"
