"""Chunk, embed and store course material for retrieval. Re-indexing replaces a source's chunks
in one transaction, so there are never duplicates or stale chunks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.chunking import chunk_text
from activities.embedders import Embedder
from db.models import ContentChunk, Course, Topic
from studyflow.contracts.activity_io import CourseRef, TopicRef


class IndexingActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], embedder: Embedder):
        self._sessions = session_factory
        self._embedder = embedder

    @activity.defn
    async def index_topic_notes(self, ref: TopicRef) -> int:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(Topic.notes_md, Topic.title, Topic.course_id, Course.owner_id)
                    .join(Course, Course.id == Topic.course_id)
                    .where(Topic.id == ref.topic_id)
                )
            ).first()
        if row is None or not row.notes_md:
            return 0
        return await self._replace(row.owner_id, row.course_id, ref.topic_id, "notes", row.notes_md)

    @activity.defn
    async def index_course_outline(self, ref: CourseRef) -> int:
        async with self._sessions() as session:
            course = await session.get(Course, ref.course_id)
            if course is None or not course.outline:
                return 0
            topics = (
                await session.scalars(
                    select(Topic).where(Topic.course_id == course.id).order_by(Topic.chapter_index, Topic.topic_index)
                )
            ).all()
            owner_id = course.owner_id
            text = _outline_text(course.topic, topics)
        return await self._replace(owner_id, ref.course_id, None, "outline", text)

    async def _replace(
        self, owner_id: uuid.UUID, course_id: uuid.UUID, topic_id: uuid.UUID | None, source: str, text: str
    ) -> int:
        chunks = chunk_text(text)
        vectors = await self._embedder.embed(chunks)
        async with self._sessions.begin() as session:
            # Lock the owning row: two indexing runs of one source take turns instead of interleaving.
            if topic_id is not None:
                locked = await session.scalar(select(Topic.id).where(Topic.id == topic_id).with_for_update())
            else:
                locked = await session.scalar(select(Course.id).where(Course.id == course_id).with_for_update())
            if locked is None:
                return 0
            await session.execute(
                delete(ContentChunk).where(
                    ContentChunk.course_id == course_id,
                    ContentChunk.source == source,
                    ContentChunk.topic_id.is_(None) if topic_id is None else ContentChunk.topic_id == topic_id,
                )
            )
            if chunks:
                await session.execute(
                    insert(ContentChunk),
                    [
                        {
                            "owner_id": owner_id,
                            "course_id": course_id,
                            "topic_id": topic_id,
                            "source": source,
                            "chunk_index": index,
                            "text": chunk,
                            "embedding": vector,
                        }
                        for index, (chunk, vector) in enumerate(zip(chunks, vectors, strict=True))
                    ],
                )
        return len(chunks)


def _outline_text(course_topic: str, topics: Sequence[Topic]) -> str:
    paragraphs: list[str] = []
    chapter = None
    for topic in topics:
        if topic.chapter_title != chapter:
            chapter = topic.chapter_title
            paragraphs.append(f"{course_topic}: {chapter}")
        paragraphs.append(f"{topic.title}. {topic.summary or ''}".strip())
    return "\n\n".join(paragraphs)
