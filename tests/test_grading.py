"""Free-text answers (issue 34) end to end on the real stack: an uncertain answer is routed to
the learner's reviewer and waits; the reviewer's grade completes it and moves mastery once; the
timeout finalises the automatic grade; a learner without a reviewer gets the automatic grade
with its uncertainty; fabricated LLM quotes are rejected; only the assigned reviewer sees a task."""

from __future__ import annotations

import json
import os
import signal
import uuid
from contextlib import AsyncExitStack

from sqlalchemy import select

from db.models import GradingLabel, GradingReview, TopicMastery, User
from tests.support.app import make_settings, open_api_client
from tests.support.grading import (
    ANSWER,
    link_reviewer,
    queue,
    short_answer_quiz,
    user_id,
    wait_attempt,
)
from tests.support.scripted_openai import Reply
from tests.support.worker_process import spawn_worker

ROUTE_EVERYTHING = 1.01  # no automatic grade is confident enough: every answer goes to a human


async def _mastery(session_factory, learner_id, topic_id) -> list[int]:
    async with session_factory() as session:
        return (
            await session.scalars(
                select(TopicMastery.answers).where(
                    TopicMastery.user_id == learner_id, TopicMastery.topic_id == uuid.UUID(topic_id)
                )
            )
        ).all()


async def _submit(api, learner, quiz_id, text=ANSWER) -> dict:
    response = await api.http.post(
        f"/v1/quizzes/{quiz_id}/attempts", json={"answers": {"q1": 0, "s1": text}}, headers=api.auth(learner)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_routed_answer_waits_and_the_reviewers_grade_completes_it_once(
    stack_with, session_factory, user_a, user_b
):
    api = await stack_with(grading_confidence_threshold=ROUTE_EVERYTHING, grading_llm_confidence_threshold=1.01)
    tutor = f"tutor_{uuid.uuid4().hex[:10]}"
    quiz_id, topic_id = await short_answer_quiz(api, session_factory, user_a)
    await link_reviewer(api, session_factory, user_a, tutor)
    learner = await user_id(session_factory, user_a)

    submitted = await _submit(api, user_a, quiz_id)
    assert submitted["grading_status"] == "grading"
    assert [f["question_id"] for f in submitted["feedback"]] == ["q1"]  # multiple choice graded at once
    assert submitted["short_answers"][0]["status"] == "grading"

    waiting = await wait_attempt(
        api, user_a, submitted["attempt_id"], lambda a: a["short_answers"][0]["status"] != "grading"
    )
    item = waiting["short_answers"][0]
    assert item["status"] == "pending_review" and item["total"] is None and item["model_answer"] is None
    assert await _mastery(session_factory, learner, topic_id) == [1]  # the multiple-choice answer only

    [task] = await queue(api, tutor)
    assert task["answer"] == ANSWER and [p["id"] for p in task["rubric"]] == ["p1", "p2", "p3"]
    # A model is configured: the LLM grader proposes (the scripted word-overlap marker).
    assert task["proposal"]["grader"] == "llm" and len(task["proposal"]["points"]) == 3
    # Nobody else sees the task: not the learner, not another user.
    for other in (user_a, user_b):
        assert (await api.http.get(f"/v1/grading-reviews/{task['id']}", headers=api.auth(other))).status_code == 404
        denied = await api.http.post(
            f"/v1/grading-reviews/{task['id']}/grade",
            json={"scores": {"p1": 1, "p2": 1, "p3": 1}},
            headers=api.auth(other),
        )
        assert denied.status_code == 404
    assert await queue(api, user_b) == []

    bad = await api.http.post(
        f"/v1/grading-reviews/{task['id']}/grade", json={"scores": {"p1": 0.7, "p2": 1}}, headers=api.auth(tutor)
    )
    assert bad.status_code == 422 and "p3" in bad.text

    graded = await api.http.post(
        f"/v1/grading-reviews/{task['id']}/grade",
        json={"scores": {"p1": 0.5, "p2": 1, "p3": 0}},
        headers=api.auth(tutor),
    )
    assert graded.status_code == 200, graded.text
    assert graded.json()["outcome"] == "reviewed" and graded.json()["total"] == 0.375

    final = await wait_attempt(api, user_a, submitted["attempt_id"], lambda a: a["grading_status"] == "graded")
    item = final["short_answers"][0]
    assert item["outcome"] == "reviewed" and item["total"] == 0.375 and not item["uncertain"]
    assert [p["score"] for p in item["points"]] == [0.5, 1, 0]
    assert item["model_answer"]
    assert final["percentage"] == round(100 * (1 + 0.375) / 2, 2)

    again = await api.http.post(
        f"/v1/grading-reviews/{task['id']}/grade", json={"scores": {"p1": 1, "p2": 1, "p3": 1}}, headers=api.auth(tutor)
    )
    assert again.status_code == 409
    assert await queue(api, tutor) == []
    # Mastery moved once for the free-text answer (and once for the multiple-choice one).
    assert await _mastery(session_factory, learner, topic_id) == [2]
    async with session_factory() as session:
        labels = (await session.scalars(select(GradingLabel))).all()
        mine = [label for label in labels if label.answer == ANSWER and label.scores == {"p1": 0.5, "p2": 1, "p3": 0}]
        assert len(mine) >= 1
        correct = await session.scalar(select(User.quiz_correct).where(User.id == learner))
    assert correct == 1  # the multiple-choice answer; 0.375 is under half marks


async def test_the_timeout_finalises_the_automatic_grade_marked_not_reviewed(stack_with, session_factory, user_a):
    api = await stack_with(
        grading_confidence_threshold=ROUTE_EVERYTHING,
        grading_llm_confidence_threshold=1.01,
        grading_review_timeout_hours=2 / 3600,  # two seconds
    )
    tutor = f"tutor_{uuid.uuid4().hex[:10]}"
    quiz_id, topic_id = await short_answer_quiz(api, session_factory, user_a, "timeout")
    await link_reviewer(api, session_factory, user_a, tutor)
    submitted = await _submit(api, user_a, quiz_id)

    final = await wait_attempt(api, user_a, submitted["attempt_id"], lambda a: a["grading_status"] == "graded")
    item = final["short_answers"][0]
    assert item["outcome"] == "not_reviewed" and item["uncertain"]
    assert item["total"] is not None and all(p["score"] is not None for p in item["points"])
    assert await queue(api, tutor) == []
    async with session_factory() as session:
        review = await session.scalar(
            select(GradingReview).where(GradingReview.attempt_id == uuid.UUID(submitted["attempt_id"]))
        )
    late = await api.http.post(
        f"/v1/grading-reviews/{review.id}/grade", json={"scores": {"p1": 1, "p2": 1, "p3": 1}}, headers=api.auth(tutor)
    )
    assert late.status_code == 409
    assert await _mastery(session_factory, await user_id(session_factory, user_a), topic_id) == [2]


async def test_a_learner_without_a_reviewer_gets_the_automatic_grade_with_its_uncertainty(
    stack_with, session_factory, user_a
):
    api = await stack_with(grading_confidence_threshold=ROUTE_EVERYTHING, grading_llm_confidence_threshold=1.01)
    quiz_id, _ = await short_answer_quiz(api, session_factory, user_a, "no-tutor")
    submitted = await _submit(api, user_a, quiz_id)
    final = await wait_attempt(api, user_a, submitted["attempt_id"], lambda a: a["grading_status"] == "graded")
    item = final["short_answers"][0]
    assert item["outcome"] == "no_reviewer" and item["uncertain"] and 0 <= item["confidence"] < 1
    # Per-point feedback quotes the learner's own sentences for the points it credits.
    credited = [p for p in item["points"] if p["score"]]
    assert all(p["quote"] and p["quote"] in ANSWER for p in credited)


async def test_fabricated_llm_quotes_are_rejected_and_the_answer_is_routed(
    stack_with, llm_server, session_factory, user_a
):
    api = await stack_with()  # the calibrated thresholds; the LLM grader is allowed (a configured model)
    tutor = f"tutor_{uuid.uuid4().hex[:10]}"
    quiz_id, _ = await short_answer_quiz(api, session_factory, user_a, "fabricated")
    await link_reviewer(api, session_factory, user_a, tutor)
    fabricated = {
        "points": [
            {
                "point_id": "p1",
                "score": 1,
                "quote": "chlorophyll absorbs light energy",
                "justification": "stated",
                "confidence": 0.99,
            },
            {
                "point_id": "p2",
                "score": 1,
                "quote": "water is broken up so oxygen comes out",
                "justification": "stated",
                "confidence": 0.99,
            },
            {
                "point_id": "p3",
                "score": 1,
                "quote": "ATP and NADPH are produced",
                "justification": "stated",
                "confidence": 0.99,
            },
        ]
    }
    llm_server.on("Rubric points:", [Reply.json(fabricated)], repeat_last=True)
    submitted = await _submit(api, user_a, quiz_id)
    await wait_attempt(api, user_a, submitted["attempt_id"], lambda a: a["short_answers"][0]["status"] != "grading")
    [task] = await queue(api, tutor)
    points = {p["point_id"]: p for p in task["proposal"]["points"]}
    assert task["proposal"]["grader"] == "llm"
    assert points["p1"]["rejected"] == "quote not found in the answer" and points["p1"]["confidence"] == 0
    assert points["p3"]["rejected"] == "quote not found in the answer"
    assert points["p2"].get("rejected") is None and points["p2"]["quote"] == "water is broken up so oxygen comes out"
    assert task["proposal"]["confidence"] == 0


async def test_answer_types_are_checked(stack_with, session_factory, user_a):
    api = await stack_with()
    quiz_id, _ = await short_answer_quiz(api, session_factory, user_a, "types")
    for answers in ({"s1": 2}, {"q1": "Thylakoid membranes"}, {"s1": "x" * 2001}):
        response = await api.http.post(
            f"/v1/quizzes/{quiz_id}/attempts", json={"answers": answers}, headers=api.auth(user_a)
        )
        assert response.status_code == 422, (answers, response.text)
    view = (await api.http.get(f"/v1/study-content/{quiz_id}", headers=api.auth(user_a))).json()
    item = next(q for q in view["questions"] if q["id"] == "s1")
    assert item["kind"] == "short_answer" and item["options"] == []
    assert "rubric" not in json.dumps(view) and "model_answer" not in json.dumps(view)


async def test_a_worker_killed_while_the_answer_waits_changes_nothing(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    settings = make_settings(
        database_url,
        llm_server,
        tmp_path,
        grading_confidence_threshold=ROUTE_EVERYTHING,
        grading_llm_confidence_threshold=ROUTE_EVERYTHING,
    )
    address = temporal_env.client.service_client.config.target_host
    tutor = f"tutor_{uuid.uuid4().hex[:10]}"
    first = spawn_worker(settings, address)
    second = None
    try:
        async with AsyncExitStack() as stack:
            api = await open_api_client(stack, settings, temporal_env)
            quiz_id, topic_id = await short_answer_quiz(api, session_factory, user_a, "killed")
            await link_reviewer(api, session_factory, user_a, tutor)
            submitted = await _submit(api, user_a, quiz_id)
            await wait_attempt(
                api, user_a, submitted["attempt_id"], lambda a: a["short_answers"][0]["status"] != "grading"
            )

            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
            [task] = await queue(api, tutor)  # the wait is in Temporal and the row, not in the dead worker
            second = spawn_worker(settings, address)
            graded = await api.http.post(
                f"/v1/grading-reviews/{task['id']}/grade",
                json={"scores": {"p1": 1, "p2": 1, "p3": 1}},
                headers=api.auth(tutor),
            )
            assert graded.status_code == 200, graded.text
            final = await wait_attempt(api, user_a, submitted["attempt_id"], lambda a: a["grading_status"] == "graded")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)

    assert final["short_answers"][0]["outcome"] == "reviewed" and final["percentage"] == 100.0
    attempt_id = uuid.UUID(submitted["attempt_id"])
    async with session_factory() as session:
        reviews = (await session.scalars(select(GradingReview).where(GradingReview.attempt_id == attempt_id))).all()
        labels = (
            await session.scalars(select(GradingLabel).where(GradingLabel.review_id.in_([r.id for r in reviews])))
        ).all()
    assert len(reviews) == 1 and len(labels) == 1
    assert await _mastery(session_factory, await user_id(session_factory, user_a), topic_id) == [2]


async def test_over_the_llm_grading_allowance_the_embedded_grader_grades_alone(stack_with, session_factory, user_a):
    api = await stack_with(grading_rate_burst=1, gradings_per_hour=0.001)
    quiz_id, _ = await short_answer_quiz(api, session_factory, user_a, "allowance")
    graders = []
    for _ in range(2):
        submitted = await _submit(api, user_a, quiz_id)
        final = await wait_attempt(api, user_a, submitted["attempt_id"], lambda a: a["grading_status"] == "graded")
        graders.append(final["short_answers"][0]["grader"])
    assert graders == ["llm", "embedded"]
