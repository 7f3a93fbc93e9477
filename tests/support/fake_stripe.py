"""A local HTTP server standing in for Stripe's API (checkout sessions only)."""

from __future__ import annotations

import threading
import time
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.scripted_openai import _free_port


class FakeStripe:
    def __init__(self) -> None:
        self.port = _free_port()
        self.requests: list[dict] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _checkout(self, request: Request) -> JSONResponse:
        form = parse_qs((await request.body()).decode())
        self.requests.append({"auth": request.headers.get("authorization"), "form": form})
        session_id = f"cs_test_{len(self.requests)}"
        return JSONResponse(
            {"id": session_id, "object": "checkout.session", "url": f"https://checkout.test/{session_id}"}
        )

    def start(self) -> FakeStripe:
        app = Starlette(routes=[Route("/v1/checkout/sessions", self._checkout, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        threading.Thread(target=self._server.run, daemon=True).start()
        while not self._server.started:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
