"""Goals: progress per kind on constructed histories (controlled clock), completion exactly once,
one suggestions run and one announcement per met goal, accepting a suggestion under the normal
quota, and nudges for learners behind on a goal. Real Postgres, Temporal and scripted LLM."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select, update

from db.models import (
    Course,
    FlashcardReview,
    FlashcardState,
    Goal,
    Notification,
    QuizAttempt,
    StudyContent,
    SubjectSuggestion,
    Topic,
    TopicMastery,
    User,
    WorkflowStart,
)
from services.actor import actor_of
from services.goal_completion import complete_reached_goals
from studyflow.contracts.activity_io import GoalRef
from studyflow.contracts.workflow_inputs import NudgeRunInput
from tests.support.courses import ready_course
from tests.support.polling import poll_until
from worker import build_activities
from workflows.engagement_nudges import EngagementNudgesWorkflow

NOON = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
TODAY = NOON.date()


@contextmanager
def clock_at(api, now: datetime):
    """The API's clock (the session's app is shared: put back afterwards)."""
    previous = api.app.state.clock
    api.app.state.clock = lambda: now
    try:
        yield
    finally:
        api.app.state.clock = previous


async def _user_id(api, session_factory, user: str) -> uuid.UUID:
    assert (await api.http.get("/v1/me", headers=api.auth(user))).status_code == 200
    async with session_factory() as session:
        return await session.scalar(select(User.id).where(User.clerk_id == user))


async def _goal(api, user: str, **body) -> dict:
    response = await api.http.post("/v1/goals", json=body, headers=api.auth(user))
    assert response.status_code == 201, response.text
    return response.json()


async def _goals(api, user: str) -> dict[str, dict]:
    return {g["id"]: g for g in (await api.http.get("/v1/goals", headers=api.auth(user))).json()["goals"]}


async def _backdate(session_factory, goal_id: str, start: date) -> None:
    async with session_factory.begin() as session:
        await session.execute(update(Goal).where(Goal.id == uuid.UUID(goal_id)).values(start_date=start))


async def _content(session, course_id: uuid.UUID, kind: str) -> uuid.UUID:
    return await session.scalar(
        insert(StudyContent)
        .values(course_id=course_id, type=kind, status="completed", payload={})
        .returning(StudyContent.id)
    )


async def _study_minutes(session_factory, user_id, course_id, minutes_by_day: dict[date, int]) -> None:
    async with session_factory.begin() as session:
        quiz = await session.scalar(
            select(StudyContent.id).where(StudyContent.course_id == course_id, StudyContent.type == "quiz")
        )
        quiz = quiz or await _content(session, course_id, "quiz")
        for day, minutes in minutes_by_day.items():
            await session.execute(
                insert(QuizAttempt).values(
                    user_id=user_id,
                    study_content_id=quiz,
                    course_id=course_id,
                    answers={},
                    score=0,
                    total=1,
                    percentage=0,
                    duration_seconds=minutes * 60,
                    created_at=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9),
                )
            )


async def _reviews(session_factory, user_id, course_id, reviews_by_day: dict[date, int]) -> None:
    async with session_factory.begin() as session:
        cards = await session.scalar(
            select(StudyContent.id).where(StudyContent.course_id == course_id, StudyContent.type == "flashcards")
        )
        cards = cards or await _content(session, course_id, "flashcards")
        state = await session.scalar(
            insert(FlashcardState)
            .values(
                user_id=user_id, study_content_id=cards, card_key=f"f{uuid.uuid4().hex[:6]}", fsrs_card={}, due_at=NOON
            )
            .returning(FlashcardState.id)
        )
        for day, count in reviews_by_day.items():
            for n in range(count):
                at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8, minutes=n)
                await session.execute(
                    insert(FlashcardReview).values(card_state_id=state, rating="good", review_log={}, reviewed_at=at)
                )


async def test_each_goal_kind_measures_its_progress_state_and_pace(api, session_factory, user_a):
    user_id = await _user_id(api, session_factory, user_a)
    course = await ready_course(api, user_a, "goal-kinds")  # 3 chapters × 3 topics
    course_id = uuid.UUID(course["id"])
    with clock_at(api, NOON):
        finish = await _goal(api, user_a, kind="course_by_date", course_id=course["id"], due_date="2026-12-15")
        minutes = await _goal(api, user_a, kind="daily_minutes", target=20, days=3)
        reviews = await _goal(api, user_a, kind="DAILY_REVIEWS", target=2, days=2)
        mastery = await _goal(api, user_a, kind="mastery", course_id=course["id"], target=0.8)
        assert finish["start_date"] == TODAY.isoformat() and reviews["kind"] == "daily_reviews"

        # Course: started 4 days ago, 10 days in all → 40 % of the time gone; 3 of 9 topics done is on track.
        await _backdate(session_factory, finish["id"], TODAY - timedelta(days=4))
        await _backdate(session_factory, minutes["id"], TODAY - timedelta(days=2))
        await _backdate(session_factory, reviews["id"], TODAY - timedelta(days=1))
        async with session_factory.begin() as session:
            await session.execute(
                update(Course).where(Course.id == course_id).values(topics_completed=3, progress_pct=33.33)
            )
            topics = (await session.scalars(select(Topic.id).where(Topic.course_id == course_id))).all()
            for topic_id in topics[:3]:
                await session.execute(insert(TopicMastery).values(user_id=user_id, topic_id=topic_id, mastery=0.9))
        await _study_minutes(
            session_factory,
            user_id,
            course_id,
            {TODAY - timedelta(days=2): 25, TODAY - timedelta(days=1): 10, TODAY: 5},
        )
        await _reviews(session_factory, user_id, course_id, {TODAY - timedelta(days=1): 2, TODAY: 1})

        goals = await _goals(api, user_a)
        p = goals[finish["id"]]["progress"]
        assert (p["current"], p["target"], p["percent"], p["state"]) == (3, 9, 33, "on_track")
        assert p["pace"] == "1 topic a day to finish by December 15"  # 6 topics, 6 days left (today included)
        assert goals[finish["id"]]["description"] == f"finish the {course['topic']} course by December 15"

        p = goals[minutes["id"]]["progress"]
        # 25 min two days ago reached it; yesterday's 10 did not, and today has 5 of 20 so far.
        assert (p["current"], p["percent"], p["state"]) == (5, 33, "behind")
        assert p["pace"] == "15 more minutes today (1 of 3 days so far)"

        p = goals[reviews["id"]]["progress"]
        assert (p["current"], p["percent"], p["state"]) == (1, 50, "on_track")
        assert p["pace"] == "1 more reviews today (1 of 2 days so far)"

        p = goals[mastery["id"]]["progress"]
        assert (p["current"], p["state"]) == (0.3, "on_track") and p["percent"] == 38  # 2.7 / 9 topics, of 0.8
        assert p["pace"] == "mastery 30% of 80%"

        # Fewer topics done than the time gone asks for: behind.
        async with session_factory.begin() as session:
            await session.execute(update(Course).where(Course.id == course_id).values(topics_completed=2))
        assert (await _goals(api, user_a))[finish["id"]]["progress"]["state"] == "behind"

        dashboard = (await api.http.get("/v1/dashboard", headers=api.auth(user_a))).json()
        assert {g["id"]: g["progress"]["state"] for g in dashboard["goals"]} == {
            finish["id"]: "behind",
            minutes["id"]: "behind",
            reviews["id"]: "on_track",
            mastery["id"]: "on_track",
        }


async def test_goal_input_is_checked(api, user_a, user_b):
    course = await ready_course(api, user_a, "goal-input")
    with clock_at(api, NOON):
        cases = [
            ({"kind": "course_by_date", "course_id": course["id"], "due_date": "2026-12-09"}, 422, "in the past"),
            ({"kind": "weekly_miles", "target": 3}, 422, "kind must be one of"),
            ({"kind": "mastery", "course_id": course["id"], "target": 1.5}, 422, "Target: Enter at most 1"),
            ({"kind": "daily_minutes", "target": 0}, 422, "Target: Enter a number of at least 1"),
            ({"kind": "course_by_date", "due_date": "2026-12-20"}, 422, "Course: Choose a course."),
        ]
        for body, status, words in cases:
            response = await api.http.post("/v1/goals", json=body, headers=api.auth(user_a))
            assert response.status_code == status and words in response.json()["error"]["message"], (
                body,
                response.text,
            )
        # Another learner's course is not found; a second active goal of the same kind is a conflict.
        stranger = await api.http.post(
            "/v1/goals", json={"kind": "mastery", "course_id": course["id"], "target": 0.5}, headers=api.auth(user_b)
        )
        assert stranger.status_code == 404
        await _goal(api, user_a, kind="mastery", course_id=course["id"], target=0.5)
        again = await api.http.post(
            "/v1/goals", json={"kind": "mastery", "course_id": course["id"], "target": 0.6}, headers=api.auth(user_a)
        )
        assert again.status_code == 409


async def test_setting_goals_is_rate_limited_per_learner(stack_with, user_a, user_b):
    api = await stack_with(goal_rate_burst=2, goals_per_hour=1)
    kinds = [
        {"kind": "daily_minutes", "target": 10},
        {"kind": "daily_reviews", "target": 20},
        {"kind": "daily_minutes", "target": 30, "days": 3},
    ]
    codes = [(await api.http.post("/v1/goals", json=body, headers=api.auth(user_a))).status_code for body in kinds]
    assert codes == [201, 201, 429]
    other = await api.http.post("/v1/goals", json={"kind": "daily_reviews", "target": 5}, headers=api.auth(user_b))
    assert other.status_code == 201  # another learner has their own bucket
    over = await api.http.post("/v1/goals", json={"kind": "daily_reviews", "target": 5}, headers=api.auth(user_a))
    assert over.status_code == 429 and over.json()["error"]["message"].startswith("too many new goals")
    listed = (await api.http.get("/v1/goals", headers=api.auth(user_a))).json()
    assert len(listed["goals"]) == 2  # nothing written for the refused ones


async def test_a_met_goal_completes_once_when_two_observers_see_it_together(
    api, session_factory, temporal_env, settings, user_a
):
    user_id = await _user_id(api, session_factory, user_a)
    course = await ready_course(api, user_a, "goal-race")
    goal = await _goal(api, user_a, kind="daily_reviews", target=2, days=1)
    today = datetime.now(UTC).date()
    await _reviews(session_factory, user_id, uuid.UUID(course["id"]), {today: 2})

    async def observe():
        async with session_factory.begin() as session:
            return await complete_reached_goals(session, settings, await actor_of(session, user_id), today)

    results = await asyncio.gather(*(observe() for _ in range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    async with session_factory() as session:
        row = await session.get(Goal, uuid.UUID(goal["id"]))
        assert row.status == "met" and row.met_at is not None
        recorded = await session.scalar(
            select(func.count()).where(WorkflowStart.workflow_id == f"subject-suggestions-{goal['id']}")
        )
    assert recorded == 1


async def _suggestions(api, user: str, goal_id: str) -> list[dict]:
    listed = (await api.http.get("/v1/suggestions", params={"status": "all"}, headers=api.auth(user))).json()
    return [s for s in listed["suggestions"] if s["goal_id"] == goal_id]


async def test_finishing_the_course_meets_its_goal_with_one_suggestions_run_and_one_announcement(
    api, session_factory, temporal_env, worker, llm_server, user_a
):
    course = await ready_course(api, user_a, "goal-finish")
    due = (datetime.now(UTC).date() + timedelta(days=7)).isoformat()
    goal = await _goal(api, user_a, kind="course_by_date", course_id=course["id"], due_date=due)
    for chapter in course["chapters"]:
        for topic in chapter["topics"]:
            assert (await api.http.post(f"/v1/topics/{topic['id']}/notes", headers=api.auth(user_a))).status_code == 202

    async def fetch_goal():
        return (await api.http.get(f"/v1/goals/{goal['id']}", headers=api.auth(user_a))).json()

    met = await poll_until(fetch_goal, lambda g: g["status"] == "met", timeout=60)
    assert met["progress"]["state"] == "met" and met["progress"]["percent"] == 100
    suggestions = await poll_until(lambda: _suggestions(api, user_a, goal["id"]), lambda s: len(s) == 3, timeout=30)
    assert len({s["topic"] for s in suggestions}) == 3 and all(
        s["reason"] and s["source"] == "llm" for s in suggestions
    )
    assert course["topic"] not in {s["topic"] for s in suggestions}

    # Completing again, and the suggestions activity retried, change nothing.
    again = await api.http.post(f"/v1/goals/{goal['id']}/complete", headers=api.auth(user_a))
    assert again.status_code == 200 and again.json()["status"] == "met"
    retried = build_activities(api.settings, session_factory, temporal_env.client).suggestions
    assert await retried.suggest_subjects(GoalRef(goal_id=uuid.UUID(goal["id"]))) == 0
    async with session_factory() as session:
        announced = (
            await session.scalars(select(Notification).where(Notification.goal_id == uuid.UUID(goal["id"])))
        ).all()
        stored = await session.scalar(select(func.count()).where(SubjectSuggestion.goal_id == uuid.UUID(goal["id"])))
    assert len(announced) == 1 and stored == 3
    assert announced[0].kind == "suggestions" and course["topic"] in announced[0].message
    assert len(llm_server.calls(f"A learner just met their goal: finish the {course['topic']} course", ok=True)) == 1
    runs = [w async for w in temporal_env.client.list_workflows(f'WorkflowId = "subject-suggestions-{goal["id"]}"')]
    assert len(runs) == 1


async def test_accepting_a_suggestion_makes_a_course_and_a_goal_and_over_quota_nothing(
    api, stack_with, session_factory, user_a
):
    course = await ready_course(api, user_a, "goal-accept")
    goal = await _goal(api, user_a, kind="mastery", course_id=course["id"], target=0.9)
    assert (await api.http.post(f"/v1/goals/{goal['id']}/complete", headers=api.auth(user_a))).json()["status"] == "met"
    [first, *_] = await poll_until(lambda: _suggestions(api, user_a, goal["id"]), lambda s: len(s) == 3, timeout=30)

    # One course a day, already used: 429 with when to retry, and nothing made.
    limited = await stack_with(free_courses_per_day=1)
    async with session_factory() as session:
        courses_before = await session.scalar(
            select(func.count()).select_from(Course).join(User).where(User.clerk_id == user_a)
        )
        goals_before = await session.scalar(
            select(func.count()).select_from(Goal).join(User).where(User.clerk_id == user_a)
        )
    refused = await limited.http.post(f"/v1/suggestions/{first['id']}/accept", json={}, headers=limited.auth(user_a))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    async with session_factory() as session:
        assert (
            await session.scalar(select(func.count()).select_from(Course).join(User).where(User.clerk_id == user_a))
            == courses_before
        )
        assert (
            await session.scalar(select(func.count()).select_from(Goal).join(User).where(User.clerk_id == user_a))
            == goals_before
        )
        assert (await session.get(SubjectSuggestion, uuid.UUID(first["id"]))).status == "open"

    accepted = await api.http.post(f"/v1/suggestions/{first['id']}/accept", json={}, headers=api.auth(user_a))
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["suggestion"]["status"] == "accepted" and body["suggestion"]["course_id"] == body["course"]["course_id"]
    assert body["goal"]["kind"] == "course_by_date" and body["goal"]["course_id"] == body["course"]["course_id"]
    made = (await api.http.get(f"/v1/courses/{body['course']['course_id']}", headers=api.auth(user_a))).json()
    assert made["topic"] == first["topic"]
    twice = await api.http.post(f"/v1/suggestions/{first['id']}/accept", json={}, headers=api.auth(user_a))
    assert twice.status_code == 409
    second = (await _suggestions(api, user_a, goal["id"]))[1]
    dismissed = await api.http.post(f"/v1/suggestions/{second['id']}/dismiss", headers=api.auth(user_a))
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert second["id"] not in {
        s["id"] for s in (await api.http.get("/v1/suggestions", headers=api.auth(user_a))).json()["suggestions"]
    }


async def test_a_learner_behind_on_a_goal_gets_one_nudge_a_day_that_names_it(
    api, session_factory, temporal_env, settings, worker, user_a
):
    user_id = await _user_id(api, session_factory, user_a)
    course = await ready_course(api, user_a, "goal-nudge")
    goal = await _goal(api, user_a, kind="daily_minutes", target=20, days=5)
    today = datetime.now(UTC).date()
    await _backdate(session_factory, goal["id"], today - timedelta(days=3))
    await _study_minutes(session_factory, user_id, uuid.UUID(course["id"]), {today - timedelta(days=2): 30})
    async with session_factory.begin() as session:  # studied today already: no streak or inactivity reason
        await session.execute(update(User).where(User.id == user_id).values(last_active_date=today, streak_current=1))

    async def run() -> None:
        await temporal_env.client.execute_workflow(
            EngagementNudgesWorkflow.run,
            NudgeRunInput(timezone="UTC", day=today),
            id=f"nudges-goal-{uuid.uuid4()}",
            task_queue=settings.task_queue_background,
        )

    await run()
    await run()
    async with session_factory() as session:
        nudges = (
            await session.scalars(
                select(Notification).where(Notification.user_id == user_id, Notification.kind == "engagement")
            )
        ).all()
    [nudge] = nudges
    assert nudge.reason == "goal_behind"
    assert "20 minutes a day on 5 days" in nudge.message and "20 more minutes today" in nudge.message
