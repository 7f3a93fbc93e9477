"""Temporal's time-skipping test server for a module's branch tests, with a bounded shutdown.

The SDK's shutdown waits for the server process to exit, and on CI that wait once never ended
(a module's teardown hit the 300 s test timeout). Past a short grace the process is killed, so a
stuck server costs seconds, not the run."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import psutil
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

SERVER = Path(sys.executable).parent / "temporal-test-server"
SHUTDOWN_GRACE_SECONDS = 20


@asynccontextmanager
async def time_skipping_environment() -> AsyncIterator[WorkflowEnvironment]:
    before = _test_servers()
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(SERVER)
    )
    ours = _test_servers() - before
    try:
        yield env
    finally:
        try:
            await asyncio.wait_for(env.shutdown(), SHUTDOWN_GRACE_SECONDS)
        except TimeoutError:
            for pid in ours:
                try:
                    psutil.Process(pid).kill()
                except psutil.NoSuchProcess:
                    pass
            print(f"the time-skipping test server did not stop in {SHUTDOWN_GRACE_SECONDS} s; killed {ours}")


def _test_servers() -> set[int]:
    return {
        child.pid for child in psutil.Process().children(recursive=True) if SERVER.name in " ".join(_cmdline(child))
    }


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []
