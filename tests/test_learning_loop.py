"""Attempts, mastery, remediation, spaced repetition and the dashboard, on real services."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from db.models import QuizAttempt, RemediationPlan, TopicMastery, User
from tests.support.app import open_api_client
from tests.support.courses import unique_topic
from tests.support.polling import poll_until
from tests.support.study import generated

CORRECT = 1  # the scripted quiz's right answer is always option B


async def _quiz(api, user: str) -> dict:
    return await generated(api, user, unique_topic("loop"), "quiz")


def _answers(quiz: dict, right: int) -> dict[str, int]:
    return {q["id"]: CORRECT if i < right else 0 for i, q in enumerate(quiz["questions"])}


async def _attempt(api, user, quiz, right: int, key: str | None = None, seconds: int = 30):
    headers = {**api.auth(user), **({"Idempotency-Key": key} if key else {})}
    return await api.http.post(
        f"/v1/quizzes/{quiz['id']}/attempts",
        json={"answers": _answers(quiz, right), "duration_seconds": seconds},
        headers=headers,
    )


async def _user_row(session_factory, clerk_id: str) -> User:
    async with session_factory() as session:
        return await session.scalar(select(User).where(User.clerk_id == clerk_id))


async def test_low_score_makes_one_plan_covering_exactly_the_wrong_topics(api, session_factory, user_a):
    quiz = await _quiz(api, user_a)
    response = await _attempt(api, user_a, quiz, right=4, key="attempt-1")
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["score"], result["total"], result["percentage"], result["passed"]) == (4, 8, 50.0, False)
    wrong_topics = {q["topic_id"] for q in quiz["questions"][4:]}
    assert set(result["weak_topic_ids"]) == wrong_topics
    revealed = result["feedback"][5]
    assert revealed["correct_index"] == CORRECT and revealed["explanation"] and revealed["key_points"]

    plan_id = result["remediation_plan_id"]

    async def fetch():
        return (await api.http.get(f"/v1/remediation/{plan_id}", headers=api.auth(user_a))).json()

    plan = await poll_until(fetch, lambda p: p["status"] == "completed")
    assert {t["topic_id"] for t in plan["topics"]} == wrong_topics
    for section in plan["topics"]:
        assert section["explanation"] and section["key_points"]
        assert all(q["answer_index"] == 1 for q in section["practice_questions"])

    again = await _attempt(api, user_a, quiz, right=4, key="attempt-1")
    assert again.status_code == 201 and again.json()["attempt_id"] == result["attempt_id"]
    async with session_factory() as session:
        user = await session.scalar(select(User).where(User.clerk_id == user_a))
        assert await session.scalar(select(func.count()).where(QuizAttempt.user_id == user.id)) == 1
        assert await session.scalar(select(func.count()).where(RemediationPlan.user_id == user.id)) == 1
    assert (user.quiz_attempts, user.quiz_questions, user.quiz_correct) == (1, 8, 4)

    weak = (await api.http.get("/v1/weak-areas", headers=api.auth(user_a))).json()
    assert [a["attempt_id"] for a in weak["attempts"]] == [result["attempt_id"]]
    assert weak["attempts"][0]["remediation"] == {"id": plan_id, "status": "completed"}


async def test_passing_attempt_makes_no_plan(api, session_factory, user_a):
    quiz = await _quiz(api, user_a)
    result = (await _attempt(api, user_a, quiz, right=6)).json()
    assert result["percentage"] == 75.0 and result["passed"] and result["remediation_plan_id"] is None
    async with session_factory() as session:
        assert (
            await session.scalar(
                select(func.count()).where(RemediationPlan.quiz_attempt_id == uuid.UUID(result["attempt_id"]))
            )
            == 0
        )


async def test_bad_answers_are_rejected_naming_the_problem(api, user_a):
    quiz = await _quiz(api, user_a)
    unknown = await api.http.post(
        f"/v1/quizzes/{quiz['id']}/attempts", json={"answers": {"nope": 1}}, headers=api.auth(user_a)
    )
    assert unknown.status_code == 422 and "nope" in unknown.json()["error"]["message"]
    out_of_range = await api.http.post(
        f"/v1/quizzes/{quiz['id']}/attempts",
        json={"answers": {quiz["questions"][0]["id"]: 7}},
        headers=api.auth(user_a),
    )
    assert out_of_range.status_code == 422
    # Things that look like option 1 are not option 1 (they used to be coerced into it).
    first = quiz["questions"][0]["id"]
    for lookalike in (True, 1.0, "1"):
        coerced = await api.http.post(
            f"/v1/quizzes/{quiz['id']}/attempts", json={"answers": {first: lookalike}}, headers=api.auth(user_a)
        )
        assert coerced.status_code == 422, (lookalike, coerced.text)
        error = coerced.json()["error"]
        if isinstance(lookalike, str):  # text is a written answer, and this question takes an option
            assert f"option index (question ids: {first})" in error["message"], coerced.text
        else:  # named once, by the question (not by the union's members, `int` and `constrained-str`)
            assert [f["field"] for f in error["fields"]] == [f"answers.{first}"], coerced.text
    unanswered = await api.http.post(
        f"/v1/quizzes/{quiz['id']}/attempts", json={"answers": {}}, headers=api.auth(user_a)
    )
    assert unanswered.status_code == 201 and unanswered.json()["score"] == 0


async def test_fifty_concurrent_attempts_lose_no_update(api, session_factory, user_a):
    quiz = await _quiz(api, user_a)
    rights = [6 + (i % 3) for i in range(50)]  # all passing: no remediation work
    responses = await asyncio.gather(
        *[_attempt(api, user_a, quiz, right=r, seconds=10 + i) for i, r in enumerate(rights)]
    )
    assert all(r.status_code == 201 for r in responses)
    user = await _user_row(session_factory, user_a)
    assert user.quiz_attempts == 50
    assert user.quiz_questions == 50 * 8
    assert user.quiz_correct == sum(rights)
    assert user.study_seconds == sum(10 + i for i in range(50))


async def test_mastery_rises_with_right_answers_falls_with_wrong_ones_and_ranks_weak_areas(
    api, session_factory, user_a
):
    quiz = await _quiz(api, user_a)
    first, second = quiz["questions"][0]["topic_id"], quiz["questions"][7]["topic_id"]

    async def mastery(topic_id: str) -> float:
        async with session_factory() as session:
            return await session.scalar(
                select(TopicMastery.mastery)
                .join(User, User.id == TopicMastery.user_id)
                .where(User.clerk_id == user_a, TopicMastery.topic_id == uuid.UUID(topic_id))
            )

    await _attempt(api, user_a, quiz, right=7)  # q1..q7 right, q8 wrong
    up, down = await mastery(first), await mastery(second)
    await _attempt(api, user_a, quiz, right=7)
    assert await mastery(first) > up > 0.3 > down
    assert await mastery(second) < down
    weak = (await api.http.get("/v1/weak-areas", headers=api.auth(user_a))).json()
    ranked = [t["topic_id"] for t in weak["weakest_topics"]]
    assert ranked[0] == second
    values = [t["mastery"] for t in weak["weakest_topics"]]
    assert values == sorted(values)


async def test_spaced_repetition_honours_the_schedule(settings, temporal_env, worker, user_a):
    now = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    clock = {"now": now}
    async with AsyncExitStack() as stack:
        api = await open_api_client(stack, settings, temporal_env)
        api.app.state.clock = lambda: clock["now"]
        cards = await generated(api, user_a, unique_topic("srs"), "flashcards")
        due = (await api.http.get("/v1/flashcards/due?limit=100", headers=api.auth(user_a))).json()
        assert due["total_due"] == len(cards["cards"])
        assert all("back" not in c and c["state"] == "new" for c in due["cards"])
        hard_id, easy_id = due["cards"][0]["card_id"], due["cards"][1]["card_id"]

        again = (
            await api.http.post(f"/v1/flashcards/{hard_id}/reviews", json={"rating": "Again"}, headers=api.auth(user_a))
        ).json()
        easy = (
            await api.http.post(f"/v1/flashcards/{easy_id}/reviews", json={"rating": "easy"}, headers=api.auth(user_a))
        ).json()
        assert datetime.fromisoformat(again["due_at"]) < datetime.fromisoformat(easy["due_at"])

        still_due = {
            c["card_id"]
            for c in (await api.http.get("/v1/flashcards/due?limit=100", headers=api.auth(user_a))).json()["cards"]
        }
        assert hard_id not in still_due and easy_id not in still_due

        clock["now"] = now + timedelta(minutes=15)
        later = {
            c["card_id"]
            for c in (await api.http.get("/v1/flashcards/due?limit=100", headers=api.auth(user_a))).json()["cards"]
        }
        assert hard_id in later and easy_id not in later

        clock["now"] = datetime.fromisoformat(easy["due_at"]) + timedelta(seconds=1)
        much_later = (await api.http.get("/v1/flashcards/due?limit=100", headers=api.auth(user_a))).json()
        assert easy_id in {c["card_id"] for c in much_later["cards"]}

        revealed = (await api.http.get(f"/v1/flashcards/{easy_id}", headers=api.auth(user_a))).json()
        assert revealed["back"] and revealed["state"] == "review"
        bad = await api.http.post(f"/v1/flashcards/{easy_id}/reviews", json={"rating": "meh"}, headers=api.auth(user_a))
        assert bad.status_code == 422


async def test_dashboard_summarises_the_learner(api, user_a):
    quiz = await _quiz(api, user_a)
    await _attempt(api, user_a, quiz, right=8, seconds=90)
    await generated(api, user_a, unique_topic("dash-cards"), "flashcards")
    board = (await api.http.get("/v1/dashboard", headers=api.auth(user_a))).json()
    assert len(board["courses"]) == 2
    assert board["quiz_attempts"] == 1 and board["quiz_correct"] == 8 and board["study_seconds"] == 90
    assert board["due_cards"] == api.settings.flashcards_per_set
    assert board["recent_attempts"][0]["percentage"] == 100.0
    assert len(board["weak_topics"]) == 5 and board["streak_current"] == 1
