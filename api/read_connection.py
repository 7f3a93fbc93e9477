"""A pooled autocommit connection for a route that answers with one read statement."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncConnection


async def get_read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with request.app.state.read_engine.connect() as connection:
        yield connection
