"""The one status rule for generated rows: only work still `generating` can end as `failed`.

A late failure (a retry after the row completed, a cancelled run after a successful one) must
never overwrite a finished result, so every `mark_*_failed` activity goes through here.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from studyflow.statuses import GenerationStatus

ERROR_LIMIT = 2000


async def mark_failed(sessions: async_sessionmaker[AsyncSession], model, subject_id: uuid.UUID, error: str) -> bool:
    """`model` is any table with id, status, error and retry_count; True when the row changed."""
    async with sessions.begin() as session:
        result = await session.execute(
            update(model)
            .where(model.id == subject_id, model.status == GenerationStatus.generating)
            .values(status=GenerationStatus.failed, error=error[:ERROR_LIMIT], retry_count=model.retry_count + 1)
        )
    # execute() is typed as returning a Result; for an UPDATE it is a CursorResult.
    return cast(CursorResult[Any], result).rowcount == 1
