"""A polled read in one round trip: the learner (by the token's subject) and what they asked for,
in one statement, instead of a learner lookup followed by the read.

The statement selects `u.deleted_at` (and whatever the route needs) `FROM users u ... WHERE
u.clerk_id = :clerk_id`, joining the resource with a condition on `u.id` so a stranger's id
comes back as a row with the resource's columns NULL. It runs on the read pool (db/read_pool.py),
not through SQLAlchemy; a span names it when tracing is on, as the engine's instrumentation
names the others."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from opentelemetry import trace

from api.auth import Principal, current_user, unauthenticated
from db.read_pool import PolledRead

_tracer = trace.get_tracer("studyflow.polled_reads")


async def read_as_learner(request: Request, principal: Principal, read: PolledRead, **params: object) -> dict[str, Any]:
    """401 for a deleted account; a learner's first request provisions them, as every route does."""
    params["clerk_id"] = principal.clerk_id
    row = await _fetch(request, read, params)
    if row is None:
        async with request.app.state.session_factory() as session:
            await current_user(principal, session)
        row = await _fetch(request, read, params)
        if row is None:
            raise RuntimeError(f"{read.name}: no row for a learner just provisioned")
    if row["deleted_at"] is not None:
        raise unauthenticated("account deleted")
    return row


async def _fetch(request: Request, read: PolledRead, params: dict[str, object]) -> dict[str, Any] | None:
    with _tracer.start_as_current_span(
        f"SELECT {read.name}", kind=trace.SpanKind.CLIENT, attributes={"db.system.name": "postgresql"}
    ):
        async with request.app.state.read_pool.connection() as connection:
            cursor = await connection.execute(read.sql, params)
            return await cursor.fetchone()
