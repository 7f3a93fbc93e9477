"""The learner's material as the extractive engine reads it: a course's source chunks in reading
order, the chunks each topic covers, their quotable sentences and those sentences' embeddings.
The rules themselves are pure (`studyflow.extractive`); this module does the I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.embedders import Embedder
from db.models import ContentChunk, Course, CourseSource, Source, Topic
from studyflow.citations import citation_label
from studyflow.extractive.centrality import ranked
from studyflow.extractive.outline import Passage
from studyflow.extractive.salience import key_terms
from studyflow.extractive.sentences import Sentence, sentences_of
from studyflow.extractive.study_set import TopicMaterial

# A topic's notes quote this many of its sentences; a set's items draw on this many per topic.
KEY_SENTENCES = 6
TERMS_PER_TOPIC = 20


@dataclass(frozen=True)
class Chunk:
    id: uuid.UUID
    text: str
    locator: dict
    label: str  # "spec.pdf, p. 4"
    embedding: list[float]

    def headings(self) -> list[str]:
        return [self.locator.get("heading") or "", self.locator.get("chapter") or ""]


async def has_material(session: AsyncSession, course_id: uuid.UUID) -> bool:
    linked = await session.scalar(select(CourseSource.source_id).where(CourseSource.course_id == course_id).limit(1))
    return linked is not None


async def course_documents(session: AsyncSession, course_id: uuid.UUID) -> list[list[Passage]]:
    """Each linked source's chunks in reading order, the sources in the learner's order."""
    rows = (
        await session.execute(
            select(
                ContentChunk.id, ContentChunk.source_id, ContentChunk.text, ContentChunk.locator, ContentChunk.embedding
            )
            .join(CourseSource, CourseSource.source_id == ContentChunk.source_id)
            .where(CourseSource.course_id == course_id)
            .order_by(CourseSource.position, ContentChunk.source_id, ContentChunk.chunk_index)
        )
    ).all()
    documents: dict[uuid.UUID, list[Passage]] = {}
    for row in rows:
        documents.setdefault(row.source_id, []).append(
            Passage(str(row.id), row.locator or {}, row.text, list(row.embedding))
        )
    return list(documents.values())


async def chunks_by_id(session: AsyncSession, ids: list[uuid.UUID]) -> list[Chunk]:
    rows = (
        await session.execute(
            select(ContentChunk.id, ContentChunk.text, ContentChunk.locator, ContentChunk.embedding, Source.name)
            .join(Source, Source.id == ContentChunk.source_id)
            .where(ContentChunk.id.in_(ids))
        )
    ).all()
    found = {
        row.id: Chunk(row.id, row.text, row.locator or {}, citation_label(row.name, row.locator), list(row.embedding))
        for row in rows
    }
    return [found[i] for i in ids if i in found]


def outline_chunk_ids(course: Course, topic: Topic) -> list[uuid.UUID]:
    """The chunks an extractive outline assigned to this topic (none for an LLM's outline)."""
    try:
        entry = (course.outline or {})["chapters"][topic.chapter_index]["topics"][topic.topic_index]
    except (KeyError, IndexError, TypeError):
        return []
    return [uuid.UUID(i) for i in entry.get("chunk_ids", [])]


@dataclass
class TopicSentences:
    chunks: list[Chunk]
    sentences: list[Sentence]
    vectors: list[list[float]]

    def label_of(self, sentence: Sentence) -> str:
        return self.chunks[sentence.passage].label

    def chunk_of(self, sentence: Sentence) -> Chunk:
        return self.chunks[sentence.passage]


async def topic_sentences(embedder: Embedder, chunks: list[Chunk]) -> TopicSentences:
    sentences = sentences_of([(chunk.text, chunk.headings()) for chunk in chunks])
    vectors = await embedder.embed([s.text for s in sentences]) if sentences else []
    return TopicSentences(chunks, sentences, vectors)


def topic_material(ref: str, title: str, found: TopicSentences) -> TopicMaterial:
    text = " ".join(s.text for s in found.sentences)
    return TopicMaterial(ref, found.sentences, ranked(found.vectors), key_terms(text, top=TERMS_PER_TOPIC), title)
