"""Token-bucket rate limiting in Postgres: one atomic upsert per request.

The bucket refills at `rate` tokens per second up to `burst`; a request takes one token. Kept in
the database rather than in process memory so the limit holds across every API instance.
"""

from __future__ import annotations

import math
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_REFILLED = "LEAST(:burst, b.tokens + EXTRACT(EPOCH FROM (clock_timestamp() - b.updated_at)) * :rate)"

_TAKE = text(
    f"""
    INSERT INTO rate_limit_buckets AS b (user_id, bucket, tokens, updated_at)
    VALUES (:user_id, :bucket, :burst - 1, clock_timestamp())
    ON CONFLICT (user_id, bucket) DO UPDATE
       SET tokens = {_REFILLED} - 1, updated_at = clock_timestamp()
     WHERE {_REFILLED} >= 1
    RETURNING tokens
    """
)
_PEEK = text(f"SELECT {_REFILLED} FROM rate_limit_buckets b WHERE b.user_id = :user_id AND b.bucket = :bucket")


async def take_token(
    session: AsyncSession, user_id: uuid.UUID, bucket: str, *, burst: int, per_minute: float
) -> int | None:
    """None when a token was taken; otherwise the seconds until the next one."""
    params = {"user_id": user_id, "bucket": bucket, "burst": burst, "rate": per_minute / 60}
    if (await session.execute(_TAKE, params)).first() is not None:
        return None
    return await seconds_until_token(session, user_id, bucket, burst=burst, per_minute=per_minute) or 1


async def seconds_until_token(
    session: AsyncSession, user_id: uuid.UUID, bucket: str, *, burst: int, per_minute: float
) -> int | None:
    """None when a token is there to take; otherwise the seconds until there is one. Takes nothing."""
    rate = per_minute / 60
    params = {"user_id": user_id, "bucket": bucket, "burst": burst, "rate": rate}
    available = await session.scalar(_PEEK, params)
    if available is None or available >= 1:  # never used (full), or refilled
        return None
    return max(1, math.ceil((1 - available) / rate))
