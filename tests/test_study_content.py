"""Flashcards and quizzes through the real workflow: generation, validation, reuse rules."""

from __future__ import annotations

import asyncio
import json
import uuid

from sqlalchemy import func, select

from db.models import StudyContent
from tests.support.courses import ready_course, unique_topic
from tests.support.scripted_openai import Reply
from tests.support.study import generated, ready_course_on, request_content, valid_question, wait_content


async def test_quiz_is_served_without_answers_or_explanations(api, user_a):
    topic = unique_topic("quiz")
    quiz = await generated(api, user_a, topic, "QUIZ")
    assert quiz["type"] == "quiz" and quiz["served_from"] == "llm" and quiz["model"] == "primary-model"
    assert len(quiz["questions"]) == api.settings.quiz_questions
    course = (await api.http.get(f"/v1/courses/{quiz['course_id']}", headers=api.auth(user_a))).json()
    topic_ids = {t["id"] for c in course["chapters"] for t in c["topics"]}
    raw = (await api.http.get(f"/v1/study-content/{quiz['id']}", headers=api.auth(user_a))).text
    for secret in ("answer", "explanation", "key_points", "Because B is right"):
        assert secret not in raw, f"{secret!r} leaked before an attempt"
    for question in json.loads(raw)["questions"]:
        assert len(question["options"]) == 4 and question["topic_id"] in topic_ids


async def test_flashcards_are_generated_with_fronts_and_backs(api, user_a):
    cards = await generated(api, user_a, unique_topic("cards"), "flashcards")
    assert len(cards["cards"]) == api.settings.flashcards_per_set
    assert all(c["front"] and c["back"] and c["topic_id"] for c in cards["cards"])


async def test_unknown_type_is_400_naming_it(api, user_a):
    course = await ready_course(api, user_a)
    response = await request_content(api, user_a, course["id"], "essay")
    assert response.status_code == 400
    assert "essay" in response.json()["error"]["message"]


async def test_fifty_concurrent_requests_leave_one_row_one_workflow_one_llm_call(
    api, llm_server, temporal_env, session_factory, user_a
):
    topic = unique_topic("fifty")
    course = await ready_course_on(api, user_a, topic)
    llm_server.on(f"flashcards for a beginner practical course on {topic}", [Reply.auto(delay=0.5)])
    responses = await asyncio.gather(*[request_content(api, user_a, course["id"], "flashcards") for _ in range(50)])
    assert {r.status_code for r in responses} <= {200, 202}
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    [content_id] = ids
    await wait_content(api, user_a, content_id)
    async with session_factory() as session:
        rows = await session.scalar(select(func.count()).where(StudyContent.course_id == uuid.UUID(course["id"])))
    assert rows == 1
    runs = [wf async for wf in temporal_env.client.list_workflows(f'WorkflowId = "study-content-{content_id}"')]
    assert len(runs) == 1
    assert len(llm_server.calls(f"flashcards for a beginner practical course on {topic}", ok=True)) == 1


async def test_invalid_quiz_records_are_dropped_and_valid_ones_kept(api, llm_server, user_a):
    topic = unique_topic("invalid-records")
    course = await ready_course_on(api, user_a, topic)
    good = valid_question(0)
    llm_server.on(
        f"course on {topic}",
        [
            Reply.json(
                {
                    "questions": [
                        good,
                        {**good, "question": "Answer not an option?", "answer": "e"},
                        {**good, "question": "Three options?", "options": good["options"][:3]},
                        {
                            **good,
                            "question": "Repeated options?",
                            "options": [good["options"][0]] * 2 + good["options"][2:],
                        },
                        {**good, "question": "  valid QUESTION 0? "},  # duplicate of the first
                        {**good, "question": "Unknown topic?", "topic_ref": "T99"},
                        *(valid_question(n) for n in (1, 2, 3)),
                    ]
                }
            )
        ],
    )
    response = await request_content(api, user_a, course["id"], "quiz")
    quiz = await wait_content(api, user_a, response.json()["id"])
    assert [q["question"] for q in quiz["questions"]] == [f"Valid question {n}?" for n in range(4)]
    report = quiz["quality"]
    assert (report["requested"], report["invalid"], report["checked"], report["passed"], report["served"]) == (
        8,
        5,
        4,
        4,
        4,
    )


async def test_failure_marks_the_row_failed_and_a_new_request_reuses_it(api, llm_server, session_factory, user_a):
    topic = unique_topic("fails")
    course = await ready_course_on(api, user_a, topic)
    rule = llm_server.on(f"course on {topic}", [Reply.error(503)], repeat_last=True)
    first = await request_content(api, user_a, course["id"], "quiz")
    failed = await wait_content(api, user_a, first.json()["id"], "failed")
    assert "no LLM endpoint answered" in failed["error"] and failed["retry_count"] == 1

    rule.repeat_last = False
    again = await request_content(api, user_a, course["id"], "quiz")
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]
    done = await wait_content(api, user_a, first.json()["id"])
    assert done["error"] is None and done["retry_count"] == 1
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).where(StudyContent.course_id == uuid.UUID(course["id"]))) == 1


async def test_completed_content_is_returned_without_a_new_job(api, llm_server, user_a):
    topic = unique_topic("completed")
    quiz = await generated(api, user_a, topic, "quiz")
    again = await request_content(api, user_a, quiz["course_id"], "quiz")
    assert again.status_code == 200 and again.json()["id"] == quiz["id"]
    assert again.json()["status"] == "completed"
    assert [c.schema_name for c in llm_server.calls(topic, ok=True)] == ["course_outline", "quiz"]


async def test_study_content_of_another_user_is_404(api, user_a, user_b):
    quiz = await generated(api, user_a, unique_topic("private"), "quiz")
    assert (await api.http.get(f"/v1/study-content/{quiz['id']}", headers=api.auth(user_b))).status_code == 404
    response = await request_content(api, user_b, quiz["course_id"], "quiz")
    assert response.status_code == 404
