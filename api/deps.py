"""Request-scoped dependencies: DB session, Temporal client, settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import ApiError
from studyflow.settings import Settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.session_factory() as session:
        yield session


async def get_temporal(request: Request) -> Client:
    try:
        return await request.app.state.temporal.get()
    except Exception as exc:  # connection refused, DNS, TLS: all mean "orchestration unavailable"
        raise ApiError(503, "workflow service unavailable, try again shortly") from exc


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


Clock = Callable[[], datetime]


def get_clock(request: Request) -> Clock:
    """The API's notion of "now" (spaced-repetition schedules); tests substitute their own."""
    return request.app.state.clock
