"""The first hour (issue 36), as the API serves it: "ready" announcements in the inbox when a
course, notes, a set or a plan finishes; study time that counts reading, browsing and reviewing;
course progress that is what the learner did (topics read); and how long work usually takes."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from db.models import Course, Notification, StudyTime, Topic, User
from services.study_time import MAX_SECONDS_PER_DAY
from tests.support.courses import ready_course, unique_topic
from tests.support.polling import poll_until
from tests.support.study import generated


async def _inbox(api, user: str) -> list[dict]:
    response = await api.http.get("/v1/notifications", headers=api.auth(user))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def _notes(api, user: str, topic_id: str) -> dict:
    started = await api.http.post(f"/v1/topics/{topic_id}/notes", headers=api.auth(user))
    assert started.status_code in (200, 202), started.text

    async def fetch():
        return (await api.http.get(f"/v1/topics/{topic_id}", headers=api.auth(user))).json()

    return await poll_until(fetch, lambda t: t["status"] == "completed")


async def test_finished_work_is_announced_once_in_the_inbox_with_a_link(api, user_a, session_factory):
    course = await ready_course(api, user_a, "announce")
    topic = course["chapters"][0]["topics"][0]
    await _notes(api, user_a, topic["id"])
    quiz = await generated(api, user_a, unique_topic("announce quiz"), "quiz")

    inbox = await poll_until(lambda: _inbox(api, user_a), lambda items: len(items) >= 4)
    ready = {(n["reason"], n["link"]) for n in inbox if n["kind"] == "ready"}
    assert ("course", f"/courses/{course['id']}") in ready
    assert ("notes", f"/topics/{topic['id']}") in ready
    assert ("quiz", f"/quizzes/{quiz['id']}") in ready
    message = next(n["message"] for n in inbox if n["reason"] == "course" and course["id"] in n["link"])
    assert course["topic"] in message and "ready" in message

    # Asking again for notes that exist announces nothing more.
    await _notes(api, user_a, topic["id"])
    async with session_factory() as session:
        per_subject = await session.scalar(
            select(func.count()).where(Notification.kind == "ready", Notification.subject_id == topic["id"])
        )
    assert per_subject == 1


async def test_reading_notes_counts_as_study_time_and_marks_the_topic_read_once(api, user_a, session_factory):
    course = await ready_course(api, user_a, "reading")
    topic = course["chapters"][0]["topics"][0]
    await _notes(api, user_a, topic["id"])
    before = (await api.http.get("/v1/dashboard", headers=api.auth(user_a))).json()["study_seconds"]

    async def report(seconds: int, **extra):
        return await api.http.post(
            "/v1/study-time", json={"seconds": seconds, "activity": "notes", **extra}, headers=api.auth(user_a)
        )

    first = await report(20, topic_id=topic["id"])
    assert first.status_code == 200, first.text
    assert first.json()["counted_seconds"] == 20 and first.json()["topic_read"] is False
    # Concurrent reports: the 30 s mark is crossed once, so the course counts the topic once.
    answers = await asyncio.gather(*[report(15, topic_id=topic["id"]) for _ in range(6)])
    assert all(a.status_code == 200 and a.json()["topic_read"] for a in answers)
    detail = (await api.http.get(f"/v1/courses/{course['id']}", headers=api.auth(user_a))).json()
    assert detail["topics_read"] == 1
    assert detail["chapters"][0]["topics"][0]["read"] is True
    dashboard = (await api.http.get("/v1/dashboard", headers=api.auth(user_a))).json()
    assert dashboard["study_seconds"] == before + 20 + 6 * 15
    assert next(c for c in dashboard["courses"] if c["id"] == course["id"])["topics_read"] == 1

    review = await api.http.post("/v1/study-time", json={"seconds": 60, "activity": "review"}, headers=api.auth(user_a))
    assert review.json()["counted_seconds"] == 60
    assert (await report(301)).status_code == 422
    assert (await report(10, topic_id=course["id"])).status_code == 404

    async with session_factory() as session:
        user_id = await session.scalar(select(User.id).where(User.clerk_id == user_a))
        read = await session.scalar(
            select(func.count()).where(Topic.course_id == course["id"], Topic.read_at.is_not(None))
        )
        counter = await session.scalar(select(Course.topics_read).where(Course.id == course["id"]))
        per_day = await session.scalar(select(func.sum(StudyTime.seconds)).where(StudyTime.user_id == user_id))
    assert read == counter == 1
    assert per_day == 20 + 6 * 15 + 60


async def test_study_time_is_capped_per_day(api, user_b, session_factory):
    first = await api.http.post(
        "/v1/study-time", json={"seconds": 10, "activity": "flashcards"}, headers=api.auth(user_b)
    )
    assert first.status_code == 200
    async with session_factory.begin() as session:
        user_id = await session.scalar(select(User.id).where(User.clerk_id == user_b))
        await session.execute(
            StudyTime.__table__.update()
            .where(StudyTime.user_id == user_id, StudyTime.activity == "flashcards")
            .values(seconds=MAX_SECONDS_PER_DAY - 5)
        )
    capped = await api.http.post(
        "/v1/study-time", json={"seconds": 100, "activity": "flashcards"}, headers=api.auth(user_b)
    )
    assert capped.json()["counted_seconds"] == 5
    none = await api.http.post(
        "/v1/study-time", json={"seconds": 100, "activity": "flashcards"}, headers=api.auth(user_b)
    )
    assert none.json()["counted_seconds"] == 0


async def test_estimates_come_from_recent_work_of_the_same_kind(api, user_a):
    for _ in range(3):
        await ready_course(api, user_a, "estimate")
    api.app.state.work_estimates = None  # computed at most once a minute: not from before these courses
    response = await api.http.get("/v1/estimates", headers=api.auth(user_a))
    assert response.status_code == 200, response.text
    course = response.json()["course"]
    assert course["samples"] >= 3 and 0 <= course["typical_seconds"] < 30


async def test_a_revealed_card_previews_the_next_due_time_of_each_rating(api, user_a):
    from datetime import datetime

    content = await generated(api, user_a, unique_topic("preview"), "flashcards")
    due = (await api.http.get("/v1/flashcards/due", headers=api.auth(user_a))).json()["cards"]
    card_id = next(c["card_id"] for c in due if c["card_id"].startswith(content["id"]))
    revealed = (await api.http.get(f"/v1/flashcards/{card_id}", headers=api.auth(user_a))).json()
    times = {k: datetime.fromisoformat(v) for k, v in revealed["next_due"].items()}
    assert times["again"] < times["hard"] <= times["good"] < times["easy"]
    rated = await api.http.post(f"/v1/flashcards/{card_id}/reviews", json={"rating": "good"}, headers=api.auth(user_a))
    # What the button said is what the rating did (within the seconds between the two calls).
    assert abs((datetime.fromisoformat(rated.json()["due_at"]) - times["good"]).total_seconds()) < 60


async def test_one_answer_can_be_checked_without_an_attempt(api, user_a, session_factory):
    from db.models import QuizAttempt

    quiz = await generated(api, user_a, unique_topic("check"), "quiz")
    question = quiz["questions"][0]
    checked = await api.http.post(
        f"/v1/quizzes/{quiz['id']}/check",
        json={"question_id": question["id"], "selected_index": 0},
        headers=api.auth(user_a),
    )
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert body["question_id"] == question["id"] and body["selected_index"] == 0
    assert body["correct"] == (body["correct_index"] == 0) and body["explanation"]
    unknown = await api.http.post(
        f"/v1/quizzes/{quiz['id']}/check", json={"question_id": "nope", "selected_index": 0}, headers=api.auth(user_a)
    )
    assert unknown.status_code == 422
    async with session_factory() as session:
        attempts = await session.scalar(select(func.count()).where(QuizAttempt.study_content_id == quiz["id"]))
    assert attempts == 0
