"""Chunking, indexing and hybrid retrieval on real pgvector."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, insert, select, update

from activities.chunking import chunk_text
from activities.embedders import build_embedder
from activities.indexing_activities import IndexingActivities
from activities.remediation_activities import RemediationActivities
from activities.retrieval import Retriever
from db.models import ContentChunk, Course, Topic, User
from studyflow.contracts.activity_io import TopicRef
from tests.support.courses import ready_course
from tests.support.polling import poll_until


def test_chunks_fit_the_window_and_overlap():
    long_paragraph = " ".join(f"w{i}" for i in range(400))
    chunks = chunk_text("Intro paragraph.\n\n" + long_paragraph, max_words=100, overlap=20)
    assert all(len(c.split()) <= 100 for c in chunks)
    words = [c.split() for c in chunks]
    for previous, current in zip(words[1:], words[2:], strict=False):
        assert previous[-20:] == current[:20], "consecutive windows share the overlap"
    covered = set(w for chunk in words for w in chunk)
    assert {f"w{i}" for i in range(400)} <= covered


def test_short_paragraphs_are_packed_together():
    assert chunk_text("one two\n\nthree four\n\n\n\nfive", max_words=10, overlap=2) == ["one two three four five"]


async def _owner_with_course(session_factory, label: str) -> tuple[uuid.UUID, uuid.UUID]:
    async with session_factory.begin() as session:
        owner = await session.scalar(insert(User).values(clerk_id=f"{label}-{uuid.uuid4()}").returning(User.id))
        course = await session.scalar(
            insert(Course)
            .values(owner_id=owner, topic=label, course_type="practical", difficulty="beginner", status="ready")
            .returning(Course.id)
        )
    return owner, course


async def _add_chunks(session_factory, embedder, owner, course, texts: list[str], source: str = "notes"):
    vectors = await embedder.embed(texts)
    async with session_factory.begin() as session:
        await session.execute(
            insert(ContentChunk),
            [
                {"owner_id": owner, "course_id": course, "source": source, "chunk_index": i, "text": t, "embedding": v}
                for i, (t, v) in enumerate(zip(texts, vectors, strict=False))
            ],
        )


async def test_retrieval_never_returns_another_owners_chunks(settings, session_factory):
    embedder = build_embedder(settings)
    retriever = Retriever(session_factory, strict=-1.0, relaxed=-1.0)
    owner_a, course_a = await _owner_with_course(session_factory, "a")
    _, course_a2 = owner_a, (await _owner_with_course(session_factory, "a2"))[1]
    async with session_factory.begin() as session:  # move a2 to owner a
        await session.execute(update(Course).where(Course.id == course_a2).values(owner_id=owner_a))
    owner_b, course_b = await _owner_with_course(session_factory, "b")
    secret = "Photosynthesis turns light energy into chemical energy stored in glucose."
    await _add_chunks(session_factory, embedder, owner_b, course_b, [secret] * 5)
    await _add_chunks(session_factory, embedder, owner_a, course_a2, ["Chlorophyll absorbs light in plants."])
    [query] = await embedder.embed(["photosynthesis light energy"])
    results = await retriever.search(
        owner_id=owner_a,
        course_id=course_a,
        query_text="photosynthesis light energy",
        query_vector=query,
        k=5,
    )
    assert results, "the owner's other course is found"
    assert {r.course_id for r in results} == {course_a2}
    assert all(r.tier == "owner_courses" for r in results)


async def test_filtered_search_returns_k_rows_when_k_qualify(settings, session_factory):
    """Many nearer chunks elsewhere must not starve a course filter (pgvector post-filtering)."""
    embedder = build_embedder(settings)
    owner, course = await _owner_with_course(session_factory, "target")
    other_owner, other_course = await _owner_with_course(session_factory, "crowd")
    query_text = "binary search trees insertion"
    await _add_chunks(
        session_factory, embedder, other_owner, other_course, [f"{query_text} variant {i}" for i in range(400)]
    )
    own = [f"Balanced trees note {i}: rotations keep height logarithmic." for i in range(8)]
    await _add_chunks(session_factory, embedder, owner, course, own)
    [query] = await embedder.embed([query_text])
    results = await Retriever(session_factory, strict=0.99, relaxed=-1.0).search(
        owner_id=owner,
        course_id=course,
        query_text=query_text,
        query_vector=query,
        k=6,
    )
    assert len(results) == 6
    assert {r.course_id for r in results} == {course}
    assert {r.tier for r in results} == {"course_relaxed"}


async def test_strict_tier_serves_close_matches_first(settings, session_factory):
    embedder = build_embedder(settings)
    owner, course = await _owner_with_course(session_factory, "tiers")
    await _add_chunks(
        session_factory,
        embedder,
        owner,
        course,
        ["Python decorators wrap a function to extend its behaviour.", "The French Revolution began in 1789."],
    )
    [query] = await embedder.embed(["python decorators"])
    results = await Retriever(session_factory, strict=0.4, relaxed=-1.0).search(
        owner_id=owner,
        course_id=course,
        query_text="python decorators",
        query_vector=query,
        k=1,
    )
    assert [r.tier for r in results] == ["course_strict"]
    assert "decorators" in results[0].text


async def test_notes_are_indexed_and_reindexing_replaces_chunks(api, settings, session_factory, user_a):
    course = await ready_course(api, user_a, "index")
    course_id = uuid.UUID(course["id"])

    async def outline_chunks():
        async with session_factory() as session:
            return await session.scalar(
                select(func.count()).where(ContentChunk.course_id == course_id, ContentChunk.source == "outline")
            )

    assert await poll_until(outline_chunks, lambda n: n > 0) > 0
    topic_id = course["chapters"][0]["topics"][0]["id"]
    await api.http.post(f"/v1/topics/{topic_id}/notes", headers=api.auth(user_a))

    async def note_chunks():
        async with session_factory() as session:
            return list(
                await session.scalars(select(ContentChunk.text).where(ContentChunk.topic_id == uuid.UUID(topic_id)))
            )

    first = await poll_until(note_chunks, lambda c: len(c) > 0)
    indexing = IndexingActivities(session_factory, build_embedder(settings))
    async with session_factory.begin() as session:
        await session.execute(
            update(Topic).where(Topic.id == uuid.UUID(topic_id)).values(notes_md="Completely new notes about graphs.")
        )
    await indexing.index_topic_notes(TopicRef(topic_id=uuid.UUID(topic_id)))
    await indexing.index_topic_notes(TopicRef(topic_id=uuid.UUID(topic_id)))  # twice: still no duplicates
    after = await note_chunks()
    assert after == ["Completely new notes about graphs."]
    assert first != after


@pytest.mark.parametrize(("threshold", "found"), [(0.99, False), (-1.0, True)])
async def test_remediation_context_uses_the_configured_similarity_thresholds(
    settings, session_factory, threshold, found
):
    """A topic with no notes of its own falls back to course retrieval, under RETRIEVAL_*_SIMILARITY."""
    embedder = build_embedder(settings)
    owner, course = await _owner_with_course(session_factory, "remediation-context")
    material = "Photosynthesis converts light energy into chemical energy in the chloroplast."
    await _add_chunks(session_factory, embedder, owner, course, [material])
    configured = settings.model_copy(
        update={"retrieval_strict_similarity": threshold, "retrieval_relaxed_similarity": threshold}
    )
    activities = RemediationActivities(configured, session_factory, llm=None, embedder=embedder)
    topic = Topic(id=uuid.uuid4(), course_id=course, title="Light reactions of photosynthesis")
    context = await activities._topic_context(owner, course, topic)
    assert (context == [material]) is found
