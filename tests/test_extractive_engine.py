"""The default install with the bundled model: a course from a learner's PDF is built from the PDF
itself (issue 30). Its chapters are the PDF's sections, its notes quote it, its cards and
questions are cut from its sentences and cite their pages, the tutor answers with quotes — and
none of it calls the model (CONTENT_ENGINE=auto picks `extractive` for the bundled model)."""

from __future__ import annotations

import json
import re
import sys
import uuid
from pathlib import Path

from sqlalchemy import select

from db.models import ContentChunk
from studyflow.engines import BUNDLED_MODEL, EXTRACTIVE
from studyflow.extractive.sentences import plain
from tests.support.courses import wait_for_course
from tests.support.polling import poll_until
from tests.support.sources import ingested
from tests.support.study import request_content, wait_content

DOCUMENTS = Path(__file__).parent / "data" / "documents"


def built(slug: str, out_dir: Path) -> tuple[bytes, dict]:
    sys.path.insert(0, str(DOCUMENTS))
    from build import build

    manifest = {json.loads(line)["slug"]: json.loads(line) for line in (DOCUMENTS / "manifest.jsonl").open()}
    return build(slug, out_dir).read_bytes(), manifest[slug]


def flat(text: str) -> str:
    return " ".join(plain(text).split())


async def test_a_pdf_course_with_the_bundled_model_is_made_from_the_pdf_without_calling_it(
    stack_with, llm_server, session_factory, user_a, tmp_path
):
    api = await stack_with(openai_model=BUNDLED_MODEL, quiz_questions=4, flashcards_per_set=6)
    calls_before = len(llm_server.calls())
    data, entry = built("tcp-congestion", tmp_path)
    name = f"spec-{uuid.uuid4().hex[:6]}.pdf"
    source = await ingested(api, user_a, name, data)
    assert source["status"] == "ready", source

    response = await api.http.post("/v1/courses", json={"source_ids": [source["id"]]}, headers=api.auth(user_a))
    course = await wait_for_course(api, user_a, response.json()["course_id"], timeout=60)
    # The PDF's own sections, not the prompt's worked example (the Git course of the issue).
    assert [c["title"] for c in course["chapters"]] == [c["title"] for c in entry["chapters"]]
    assert [[t["title"] for t in c["topics"]] for c in course["chapters"]] == [c["topics"] for c in entry["chapters"]]
    assert course["outline_model"] == EXTRACTIVE

    async with session_factory() as session:
        chunks = {
            str(c.id): c
            for c in await session.scalars(
                select(ContentChunk).where(ContentChunk.source_id == uuid.UUID(source["id"]))
            )
        }
    document = flat(" ".join(c.text for c in chunks.values()))

    topic = course["chapters"][1]["topics"][0]  # "Slow start"
    await api.http.post(f"/v1/topics/{topic['id']}/notes", headers=api.auth(user_a))

    async def notes():
        return (await api.http.get(f"/v1/topics/{topic['id']}", headers=api.auth(user_a))).json()

    view = await poll_until(notes, lambda t: t["status"] in ("completed", "failed"), timeout=60)
    assert view["status"] == "completed" and view["notes_model"] == EXTRACTIVE, view
    quoted = [
        line[2:] for line in view["notes_md"].splitlines() if line.startswith("> ") and not line.startswith("> —")
    ]
    assert len(quoted) >= 3
    for sentence in quoted:  # every quote is the PDF's own words
        assert flat(sentence.replace("\\", "")) in document, sentence
    assert re.search(rf"> — {re.escape(name)}, p\. \d", view["notes_md"])

    for kind, key in (("flashcards", "cards"), ("quiz", "questions")):
        accepted = (await request_content(api, user_a, course["id"], kind)).json()
        content = await wait_content(api, user_a, accepted["id"], timeout=90)
        assert content["model"] == EXTRACTIVE and content["quality"]["served"] == len(content[key]) >= 2, content
        for record in content[key]:
            [citation] = record["citations"]
            assert re.fullmatch(rf"{re.escape(name)}, p\. \d+", citation["label"])
            passage = flat(chunks[citation["chunk_id"]].text)
            if kind == "flashcards":  # the back is the passage's own words (a term, or what it is)
                assert record["back"].rstrip(".").casefold() in passage.casefold(), (record, passage)
    quiz = content
    revealed = await api.http.post(
        f"/v1/quizzes/{quiz['id']}/attempts",
        json={"answers": {q["id"]: 0 for q in quiz["questions"]}, "duration_seconds": 30},
        headers=api.auth(user_a),
    )
    for item in revealed.json()["feedback"]:
        [question] = [q for q in quiz["questions"] if q["id"] == item["question_id"]]
        passage = flat(chunks[question["citations"][0]["chunk_id"]].text)
        answer = question["options"][item["correct_index"]]
        assert answer.casefold() in passage.casefold(), (answer, passage)
        assert item["explanation"].startswith("Your material says:")

    conversation = (
        await api.http.post("/v1/conversations", json={"course_id": course["id"]}, headers=api.auth(user_a))
    ).json()
    reply = (
        await api.http.post(
            f"/v1/conversations/{conversation['id']}/messages?wait=true",
            json={"question": "How quickly does the congestion window grow during slow start?"},
            headers=api.auth(user_a),
        )
    ).json()
    assert reply["text"].startswith("Your material says:"), reply
    assert "doubles the window every round-trip time" in reply["text"]
    assert reply["citations"] and reply["citations"][0]["label"].startswith(f"{name}, p. ")

    # None of it asked the model.
    assert len(llm_server.calls()) == calls_before
