"""Resolve the chunk ids a generated card or question records into what the learner reads:
"from: lecture-3.pdf, p. 12". A deleted source simply has no citation any more."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.schemas.sources import Citation
from db.models import ContentChunk, Source
from studyflow.citations import citation_label


async def citations_by_chunk(session: AsyncSession, owner_id: uuid.UUID, records: list[dict]) -> dict[str, Citation]:
    chunk_ids = {uuid.UUID(i) for record in records for i in record.get("chunk_ids", [])}
    if not chunk_ids:
        return {}
    rows = await session.execute(
        select(ContentChunk.id, ContentChunk.source_id, ContentChunk.locator, Source.name)
        .join(Source, Source.id == ContentChunk.source_id)
        .where(ContentChunk.id.in_(chunk_ids), Source.owner_id == owner_id)
    )
    return {
        str(row.id): Citation(
            source_id=row.source_id,
            chunk_id=row.id,
            source_name=row.name,
            locator=row.locator or {},
            label=citation_label(row.name, row.locator),
        )
        for row in rows
    }


def cited(record: dict, citations: dict[str, Citation]) -> list[Citation]:
    return [citations[i] for i in record.get("chunk_ids", []) if i in citations]
