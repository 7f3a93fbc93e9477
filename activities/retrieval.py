"""Hybrid retrieval over content_chunks: vector cosine + full text, fused by reciprocal rank.

Tiers, in order, until K chunks are found: the learner's own sources the course is built from
(strict, then their best matches whatever the similarity), the same course with a strict
similarity threshold, the same course relaxed, then the owner's other courses (never anyone else's material).
pgvector 0.6 filters *after* an HNSW scan, which can return fewer than K rows for a selective
filter, so the filtered searches order by an expression the index cannot serve: Postgres then
scans exactly the rows the (course or owner) filter selects through their b-tree index.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import ContentChunk, CourseSource
from studyflow.product_metrics import RETRIEVAL_SERVED
from studyflow.settings import Settings

RRF_K = 60


@dataclass(frozen=True)
class RetrievedChunk:
    chunk_id: uuid.UUID
    course_id: uuid.UUID | None
    topic_id: uuid.UUID | None
    text: str
    similarity: float
    score: float
    tier: str  # sources_strict | sources_best | course_strict | course_relaxed | owner_courses
    source_id: uuid.UUID | None = None
    locator: dict | None = None


class Retriever:
    """Thresholds are fixed per retriever (from RETRIEVAL_*_SIMILARITY), so no caller can drift
    from the configured ones."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], *, strict: float, relaxed: float):
        self._sessions = session_factory
        self._strict = strict
        self._relaxed = relaxed

    @classmethod
    def from_settings(cls, settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> Retriever:
        return cls(
            session_factory,
            strict=settings.retrieval_strict_similarity,
            relaxed=settings.retrieval_relaxed_similarity,
        )

    async def search(
        self,
        *,
        owner_id: uuid.UUID,
        course_id: uuid.UUID,
        query_text: str,
        query_vector: list[float],
        k: int,
    ) -> list[RetrievedChunk]:
        strict, relaxed = self._strict, self._relaxed
        async with self._sessions() as session:
            source_ids = list(
                await session.scalars(select(CourseSource.source_id).where(CourseSource.course_id == course_id))
            )
        # The owner filter is belt and braces: a course only ever links its owner's sources.
        own_sources = and_(ContentChunk.source_id.in_(source_ids), ContentChunk.owner_id == owner_id)
        # The learner chose these sources for this course: their best excerpts are relevant even
        # below the relaxed threshold (an outline's wording rarely matches a lecture's).
        tiers = [("sources_strict", own_sources, strict), ("sources_best", own_sources, -1.0)] if source_ids else []
        tiers += [
            ("course_strict", ContentChunk.course_id == course_id, strict),
            ("course_relaxed", ContentChunk.course_id == course_id, relaxed),
            (
                "owner_courses",
                and_(ContentChunk.owner_id == owner_id, ContentChunk.course_id != course_id),
                strict,
            ),
        ]
        found: dict[uuid.UUID, RetrievedChunk] = {}
        last_tier = "none"
        async with self._sessions() as session:
            for tier, scope, threshold in tiers:
                chunks = await self._hybrid(session, scope, query_text, query_vector, k, threshold, tier)
                for chunk in chunks:
                    found.setdefault(chunk.chunk_id, chunk)
                last_tier = tier if chunks else last_tier
                if len(found) >= k:
                    break
        # The last tier that added anything: how far down the fallbacks this request had to go.
        RETRIEVAL_SERVED.labels(last_tier).inc()
        return list(found.values())[:k]

    async def search_material(
        self,
        *,
        owner_id: uuid.UUID,
        course_id: uuid.UUID | None,
        query_text: str,
        query_vector: list[float],
        k: int,
        threshold: float,
    ) -> list[RetrievedChunk]:
        """What the tutor may answer from: the learner's own chunks (one course and its sources,
        or all their courses and sources) that are at least `threshold` similar. No fallback
        tier: an empty answer means the material does not say."""
        scope = ContentChunk.owner_id == owner_id
        if course_id is not None:
            linked = select(CourseSource.source_id).where(CourseSource.course_id == course_id)
            scope = and_(scope, or_(ContentChunk.course_id == course_id, ContentChunk.source_id.in_(linked)))
        async with self._sessions() as session:
            return await self._hybrid(session, scope, query_text, query_vector, k, threshold, "material")

    async def _hybrid(
        self,
        session: AsyncSession,
        scope: ColumnElement[bool],
        query_text: str,
        query_vector: list[float],
        k: int,
        threshold: float,
        tier: str,
    ) -> list[RetrievedChunk]:
        pool = k * 4
        # "+ 0" keeps the HNSW index out of this plan: exact distances over the filtered rows.
        distance = ContentChunk.embedding.cosine_distance(query_vector) + literal(0.0)
        vector_rows = (
            await session.execute(
                select(ContentChunk.id, distance.label("distance"))
                .where(scope, distance <= 1.0 - threshold)
                .order_by(distance)
                .limit(pool)
            )
        ).all()
        query = func.plainto_tsquery("english", query_text)
        rank = func.ts_rank_cd(ContentChunk.tsv, query)
        text_rows = (
            await session.execute(
                select(ContentChunk.id)
                .where(scope, ContentChunk.tsv.op("@@")(query), distance <= 1.0 - threshold)
                .order_by(rank.desc())
                .limit(pool)
            )
        ).all()
        similarity = {row.id: 1.0 - float(row.distance) for row in vector_rows}
        scores: dict[uuid.UUID, float] = {}
        for ranked in ([r.id for r in vector_rows], [r.id for r in text_rows]):
            for position, chunk_id in enumerate(ranked):
                scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + position + 1)
        if not scores:
            return []
        best = sorted(scores, key=scores.__getitem__, reverse=True)[:k]
        chunks = {c.id: c for c in await session.scalars(select(ContentChunk).where(ContentChunk.id.in_(best)))}
        missing = [i for i in best if i not in similarity]
        if missing:  # text-only matches: report their real similarity too
            extra = await session.execute(
                select(ContentChunk.id, ContentChunk.embedding.cosine_distance(query_vector)).where(
                    ContentChunk.id.in_(missing)
                )
            )
            similarity.update({row[0]: 1.0 - float(row[1]) for row in extra})
        return [
            RetrievedChunk(
                chunk_id=i,
                course_id=chunks[i].course_id,
                topic_id=chunks[i].topic_id,
                text=chunks[i].text,
                similarity=similarity[i],
                score=scores[i],
                tier=tier,
                source_id=chunks[i].source_id,
                locator=chunks[i].locator,
            )
            for i in best
        ]
