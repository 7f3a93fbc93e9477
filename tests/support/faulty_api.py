"""The API with a fault the test harness injects: the process dies after a commit and its answer,
before the recorded workflow start is made (a deploy, an OOM kill, a lost node). Served by
uvicorn as a factory: `tests.support.faulty_api:dies_before_starting`."""

from __future__ import annotations

import os
import signal

from fastapi import FastAPI

from api.app import create_app


class _DyingStarter:
    async def start(self, records) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


def dies_before_starting() -> FastAPI:
    app = create_app()
    app.state.workflow_starter = _DyingStarter()
    return app
