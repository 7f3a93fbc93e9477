"""Courses built from a learner's sources: grounded outline, notes, cards and questions, each
card and question citing the chunks it came from ("from: lecture-3.pdf, p. 2")."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from db.models import ContentChunk
from tests.support import source_files as files
from tests.support.courses import unique_topic, wait_for_course
from tests.support.polling import poll_until
from tests.support.scripted_openai import Reply
from tests.support.sources import ingested
from tests.support.study import request_content, valid_question, wait_content

LECTURE = [
    "Inner joins return only the rows whose keys match in both tables. Matching uses the ON clause.",
    "A left outer join keeps every row of the left table and fills the missing right columns with NULL.",
    "A cross join pairs every row of one table with every row of the other, a Cartesian product.",
]


async def _course_from(api, user: str, source_ids: list[str], **extra) -> dict:
    response = await api.http.post("/v1/courses", json={"source_ids": source_ids, **extra}, headers=api.auth(user))
    assert response.status_code == 202, response.text
    return await wait_for_course(api, user, response.json()["course_id"])


async def _source_chunks(session_factory, source_id: str) -> dict[str, ContentChunk]:
    async with session_factory() as session:
        rows = await session.scalars(select(ContentChunk).where(ContentChunk.source_id == uuid.UUID(source_id)))
        return {str(row.id): row for row in rows}


async def test_a_course_from_a_pdf_follows_it_and_cites_its_pages(api, user_a, llm_server, session_factory):
    source = await ingested(api, user_a, "lecture-3.pdf", files.pdf(LECTURE))
    course = await _course_from(api, user_a, [source["id"]])
    assert course["topic"] == "lecture 3"
    assert course["sources"] == [{"id": source["id"], "name": "lecture-3.pdf", "kind": "pdf"}]
    [outline_call] = llm_server.calls("course on: lecture 3")
    assert "left outer join keeps every row" in outline_call.text  # the outline saw the material

    chunks = await _source_chunks(session_factory, source["id"])
    for kind, records_key in (("quiz", "questions"), ("flashcards", "cards")):
        accepted = (await request_content(api, user_a, course["id"], kind)).json()
        view = await wait_content(api, user_a, accepted["id"])
        assert view["served_from"] == "llm"
        [prompt] = [c.text for c in llm_server.calls("course on lecture 3") if c.schema_name == kind]
        for record in view[records_key]:
            assert record["citations"], (kind, record)
            for citation in record["citations"]:
                assert citation["source_id"] == source["id"] and citation["source_name"] == "lecture-3.pdf"
                assert re.fullmatch(r"lecture-3\.pdf, p\. [123]", citation["label"]), citation
                chunk = chunks[citation["chunk_id"]]
                assert citation["locator"] == chunk.locator
                # A citation points at an excerpt the generation was shown.
                assert f"] {chunk.text}" in prompt

    topic_id = course["chapters"][0]["topics"][0]["id"]
    await api.http.post(f"/v1/topics/{topic_id}/notes", headers=api.auth(user_a))

    async def notes():
        return (await api.http.get(f"/v1/topics/{topic_id}", headers=api.auth(user_a))).json()

    await poll_until(notes, lambda t: t["status"] == "completed")
    [notes_call] = [c for c in llm_server.calls("Write study notes for the topic") if "lecture 3" in c.text]
    assert any(chunk.text in notes_call.text for chunk in chunks.values())  # notes grounded in the source


async def test_a_record_that_cites_nothing_is_attributed_to_the_closest_excerpt(
    api, user_a, llm_server, session_factory
):
    topic = unique_topic("joins from my lecture")
    source = await ingested(api, user_a, "lecture-7.pdf", files.pdf(LECTURE))
    course = await _course_from(api, user_a, [source["id"]], topic=topic)
    question = {
        "question": "What does a cross join of two tables produce?",
        "options": ["A Cartesian product", "Only matching rows", "Rows padded with NULL", "An index on the key"],
        "answer": "A Cartesian product",
        "explanation": "Every row meets every row.",
        "key_points": ["pairs every row"],
        "topic_ref": "T1",
    }
    # Enough other questions for a set the quality gate lets through (half of those asked for).
    fillers = [valid_question(n) for n in range(1, 4)]
    llm_server.on(
        match=f"multiple-choice questions for a beginner practical course on {topic}",
        replies=[Reply.json({"questions": [question, *fillers]})],
    )
    accepted = (await request_content(api, user_a, course["id"], "quiz")).json()
    view = await wait_content(api, user_a, accepted["id"])
    [record] = [q for q in view["questions"] if q["question"] == question["question"]]
    [citation] = record["citations"]
    assert citation["label"] == "lecture-7.pdf, p. 3"


async def test_a_course_needs_the_learners_own_ready_sources(api, user_a, user_b):
    unknown = str(uuid.uuid4())
    response = await api.http.post("/v1/courses", json={"source_ids": [unknown]}, headers=api.auth(user_a))
    assert response.status_code == 404 and unknown in response.json()["error"]["message"]
    failed = await ingested(api, user_a, "scan.pdf", files.scanned_pdf())
    response = await api.http.post("/v1/courses", json={"source_ids": [failed["id"]]}, headers=api.auth(user_a))
    assert response.status_code == 409 and "scan.pdf" in response.json()["error"]["message"]
    response = await api.http.post("/v1/courses", json={}, headers=api.auth(user_a))
    assert response.status_code == 422 and "topic is required unless source_ids" in response.json()["error"]["message"]


async def test_a_source_course_stays_out_of_the_shared_cache(api, user_a, user_b, llm_server):
    """Two learners with the same topic share cached cards; a course from one learner's own
    material never gives its cards to anyone."""
    topic = unique_topic("private lecture")
    source = await ingested(api, user_a, "private-lecture.pdf", files.pdf(LECTURE))
    mine = await _course_from(api, user_a, [source["id"]], topic=topic)
    accepted = (await request_content(api, user_a, mine["id"], "flashcards")).json()
    await wait_content(api, user_a, accepted["id"])
    theirs = await api.http.post("/v1/courses", json={"topic": topic}, headers=api.auth(user_b))
    course_b = await wait_for_course(api, user_b, theirs.json()["course_id"])
    accepted_b = (await request_content(api, user_b, course_b["id"], "flashcards")).json()
    view_b = await wait_content(api, user_b, accepted_b["id"])
    assert view_b["served_from"] == "llm"
    assert all(card["citations"] == [] for card in view_b["cards"])
