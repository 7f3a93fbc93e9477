"""How much of a learner's source quota is taken: failed sources hold no bytes and do not count."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Source
from studyflow.statuses import SourceStatus


async def source_usage(
    session: AsyncSession, owner_id: uuid.UUID, *, excluding: uuid.UUID | None = None
) -> tuple[int, int]:
    """(sources kept, bytes stored) for the learner, leaving out `excluding`."""
    query = select(func.count(), func.coalesce(func.sum(Source.size_bytes), 0)).where(
        Source.owner_id == owner_id, Source.status != SourceStatus.failed
    )
    if excluding is not None:
        query = query.where(Source.id != excluding)
    kept, used = (await session.execute(query)).one()
    return kept, int(used)
