"""A polled read in one round trip: the learner (by the token's subject) and what they asked for,
in one statement, instead of a learner lookup followed by the read.

The statement selects `u.deleted_at` (and whatever the route needs) `FROM users u ... WHERE
u.clerk_id = :clerk_id`, joining the resource with a condition on `u.id` so a stranger's id
comes back as a row with the resource's columns NULL."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import RowMapping, TextClause
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth import Principal, current_user, unauthenticated


async def read_as_learner(
    request: Request, principal: Principal, connection: AsyncConnection, statement: TextClause, **params: object
) -> RowMapping:
    """401 for a deleted account; a learner's first request provisions them, as every route does."""
    params["clerk_id"] = principal.clerk_id
    row = (await connection.execute(statement, params)).mappings().first()
    if row is None:
        async with request.app.state.session_factory() as session:
            await current_user(principal, session)
        row = (await connection.execute(statement, params)).mappings().one()
    if row["deleted_at"] is not None:
        raise unauthenticated("account deleted")
    return row
