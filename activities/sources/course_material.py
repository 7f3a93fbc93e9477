"""What a course built from the learner's sources shows the model when there is no question to
retrieve for yet (its outline): excerpts spread evenly across the sources, in the learner's order."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ContentChunk, CourseSource


async def spread_excerpts(session: AsyncSession, course_id: uuid.UUID, count: int, words: int) -> list[str]:
    ordered = (
        select(
            ContentChunk.text,
            func.row_number()
            .over(order_by=(CourseSource.position, ContentChunk.source_id, ContentChunk.chunk_index))
            .label("rank"),
            func.count().over().label("total"),
        )
        .join(CourseSource, CourseSource.source_id == ContentChunk.source_id)
        .where(CourseSource.course_id == course_id)
        .subquery()
    )
    step = func.greatest(1, ordered.c.total / count)
    rows = await session.scalars(
        select(ordered.c.text).where((ordered.c.rank - 1) % step == 0).order_by(ordered.c.rank).limit(count)
    )
    return [" ".join(text.split()[:words]) for text in rows]
