"""Failing a source leaves nothing behind: its chunks and stored file go, so neither counts against
the learner's storage. Shared by the ingestion workflow and the stuck-row reconciler."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import ContentChunk, Source
from studyflow.object_store import ObjectStore
from studyflow.statuses import SourceStatus


async def fail_source(
    sessions: async_sessionmaker[AsyncSession], store: ObjectStore, source_id: uuid.UUID, error: str
) -> bool:
    """True when the source was still processing and is now failed."""
    async with sessions.begin() as session:
        source = await session.scalar(
            select(Source).where(Source.id == source_id, Source.status == SourceStatus.processing).with_for_update()
        )
        if source is None:
            return False
        key = source.object_key
        source.status, source.error, source.chunk_count, source.object_key = SourceStatus.failed, error, 0, None
        await session.execute(delete(ContentChunk).where(ContentChunk.source_id == source_id))
    if key:
        await asyncio.to_thread(store.delete, key)
    return True
