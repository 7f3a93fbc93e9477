"""A polled read in one round trip: the learner (by the token's subject) and what they asked for,
in one statement, instead of a learner lookup followed by the read.

The statement selects `u.deleted_at` (and whatever the route needs) `FROM users u ... WHERE
u.clerk_id = :clerk_id`, joining the resource with a condition on `u.id` so a stranger's id
comes back as a row with the resource's columns NULL. It runs on the read pool (db/read_pool.py),
not through SQLAlchemy; a span names it when tracing is on, as the engine's instrumentation
names the others."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from opentelemetry import trace
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, unauthenticated, user_of
from api.errors import ApiError
from db.models import User
from db.read_pool import PolledRead
from services.actor import Actor

_tracer = trace.get_tracer("studyflow.polled_reads")


OwnerOf = Callable[[AsyncSession, Actor], Awaitable[uuid.UUID]]


async def read_as_learner(
    request: Request,
    principal: Principal,
    read: PolledRead,
    *,
    what: str | None = None,
    owner_of: OwnerOf | None = None,
    **params: object,
) -> dict[str, Any]:
    """401 for a deleted account; a learner's first request provisions them, as every route does.
    A read of a resource (`what`) the learner does not own answers 404 — unless the policy lets
    them see it (`owner_of` authorises and names its owner: their tutor, an admin, an assignee),
    then it is read as its owner sees it."""
    params["clerk_id"] = principal.clerk_id
    row = await _fetch(request, read, params)
    if row is None:
        async with request.app.state.session_factory() as session:
            await user_of(principal, session)
        row = await _fetch(request, read, params)
        if row is None:
            raise RuntimeError(f"{read.name}: no row for a learner just provisioned")
    if row["deleted_at"] is not None:
        raise unauthenticated("account deleted")
    if what is None or row["id"] is not None:
        return row
    if owner_of is not None:
        async with request.app.state.session_factory() as session:
            owner_id = await owner_of(session, await user_of(principal, session))
            params["clerk_id"] = await session.scalar(select(User.clerk_id).where(User.id == owner_id))
        row = await _fetch(request, read, params)
        if row is not None and row["id"] is not None:
            return row
    raise ApiError(404, f"{what} not found")


async def _fetch(request: Request, read: PolledRead, params: dict[str, object]) -> dict[str, Any] | None:
    with _tracer.start_as_current_span(
        f"SELECT {read.name}", kind=trace.SpanKind.CLIENT, attributes={"db.system.name": "postgresql"}
    ):
        async with request.app.state.read_pool.connection() as connection:
            cursor = await connection.execute(read.sql, params)
            return await cursor.fetchone()
