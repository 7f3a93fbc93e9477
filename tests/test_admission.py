"""One admit path: every route that starts work answers once its row and recorded start commit,
starts the workflow after the answer, leaves a failed start to the relay, and is undone one way
when the start can never be made (the row failed, its quota given back, nothing half-written)."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack

from sqlalchemy import func, select
from temporalio.testing import ActivityEnvironment

from activities.reconciler_activities import ReconcilerActivities
from db.models import Course, Goal, QuizAttempt, RemediationPlan, Source, StudyContent, Topic, User, WorkflowStart
from studyflow.contracts.activity_io import RelayInput
from studyflow.object_store import object_store_from
from tests.support import source_files as files
from tests.support.app import open_api_client
from tests.support.courses import ready_course, unique_topic, wait_for_course
from tests.support.reconcile import reconcile
from tests.support.sources import upload
from tests.support.study import generated
from tests.support.temporal_outage import client_that_cannot_start


async def _down(stack, api, temporal_env, **settings):
    """An API whose every workflow start fails (its Temporal client names a missing namespace)."""
    limited = api.settings.model_copy(update=settings)
    return await open_api_client(
        stack, limited, temporal_env, temporal_client=await client_that_cannot_start(temporal_env)
    )


async def _unstarted(session_factory, workflow_id: str) -> WorkflowStart | None:
    async with session_factory() as session:
        record = await session.get(WorkflowStart, workflow_id)
    return record if record is not None and record.started_at is None else None


async def _relay_giving_up(api, session_factory, temporal_env) -> int:
    """The relay with a Temporal that refuses every start, allowed one failure per record: what
    it cannot start is undone."""
    activities = ReconcilerActivities(
        api.settings, session_factory, await client_that_cannot_start(temporal_env), object_store_from(api.settings)
    )
    return await ActivityEnvironment().run(
        activities.relay_workflow_starts,
        RelayInput(
            relay_after_seconds=0,
            batch_size=100,
            max_failures=1,
            task_queues=[api.settings.task_queue_interactive, api.settings.task_queue_background],
        ),
    )


async def _post_course(api, user, label: str):
    return await api.http.post("/v1/courses", json={"topic": unique_topic(label)}, headers=api.auth(user))


async def _usage(api, user) -> dict:
    return (await api.http.get("/v1/me", headers=api.auth(user))).json()["usage_today"]


async def test_a_course_whose_start_fails_after_the_answer_is_started_by_the_relay(
    stack_with, temporal_env, session_factory, user_a
):
    api = await stack_with()  # its own task queues: the relay below sees this test's records only
    async with AsyncExitStack() as stack:
        down = await _down(stack, api, temporal_env)
        accepted = await down.http.post(
            "/v1/courses", json={"topic": unique_topic("relayed")}, headers=down.auth(user_a)
        )
    assert accepted.status_code == 202, accepted.text
    course = accepted.json()
    assert await _unstarted(session_factory, course["workflow_id"]) is not None
    repaired = await reconcile(temporal_env, api.settings, relay_after_seconds=0)
    assert repaired.relayed == 1
    ready = await wait_for_course(api, user_a, course["course_id"])
    assert ready["topics_total"] > 0
    assert await _unstarted(session_factory, course["workflow_id"]) is None


async def test_a_course_that_can_never_start_is_failed_and_its_quota_given_back(
    api, temporal_env, session_factory, user_a
):
    async with AsyncExitStack() as stack:
        down = await _down(stack, api, temporal_env)
        accepted = await down.http.post(
            "/v1/courses", json={"topic": unique_topic("undone")}, headers=down.auth(user_a)
        )
    assert accepted.status_code == 202
    assert (await _usage(api, user_a))["courses"] == 1
    assert await _relay_giving_up(api, session_factory, temporal_env) == 0
    async with session_factory() as session:
        course = await session.get(Course, uuid.UUID(accepted.json()["course_id"]))
        record = await session.get(WorkflowStart, accepted.json()["workflow_id"])
    assert (course.status, course.error) == ("failed", "Generation could not be started; request it again.")
    assert record is None
    assert (await _usage(api, user_a))["courses"] == 0


async def test_study_content_that_can_never_start_is_failed_and_its_quota_given_back(
    api, temporal_env, session_factory, user_a
):
    course = await ready_course(api, user_a, "content-undone")
    async with AsyncExitStack() as stack:
        down = await _down(stack, api, temporal_env)
        accepted = await down.http.post(
            f"/v1/courses/{course['id']}/study-content", json={"type": "quiz"}, headers=down.auth(user_a)
        )
    assert accepted.status_code == 202
    assert (await _usage(api, user_a))["study_content"] == 1
    await _relay_giving_up(api, session_factory, temporal_env)
    async with session_factory() as session:
        content = await session.get(StudyContent, uuid.UUID(accepted.json()["id"]))
    assert content.status == "failed"
    assert (await _usage(api, user_a))["study_content"] == 0
    again = await api.http.post(
        f"/v1/courses/{course['id']}/study-content", json={"type": "quiz"}, headers=api.auth(user_a)
    )
    assert again.status_code == 202 and again.json()["id"] == str(content.id)


async def test_notes_that_can_never_start_leave_the_topic_failed_and_requestable(
    api, temporal_env, session_factory, user_a
):
    course = await ready_course(api, user_a, "notes-undone")
    topic_id = course["chapters"][0]["topics"][0]["id"]
    async with AsyncExitStack() as stack:
        down = await _down(stack, api, temporal_env)
        accepted = await down.http.post(f"/v1/topics/{topic_id}/notes", headers=down.auth(user_a))
    assert accepted.status_code == 202
    await _relay_giving_up(api, session_factory, temporal_env)
    async with session_factory() as session:
        topic = await session.get(Topic, uuid.UUID(topic_id))
    assert topic.status == "failed"
    assert (await api.http.post(f"/v1/topics/{topic_id}/notes", headers=api.auth(user_a))).status_code == 202


async def test_a_remediation_plan_that_can_never_start_is_failed_and_the_attempt_stands(
    api, temporal_env, session_factory, user_a
):
    quiz = await generated(api, user_a, unique_topic("plan-undone"), "quiz")
    async with AsyncExitStack() as stack:
        down = await _down(stack, api, temporal_env)
        attempt = await down.http.post(
            f"/v1/quizzes/{quiz['id']}/attempts", json={"answers": {}}, headers=down.auth(user_a)
        )
    assert attempt.status_code == 201, attempt.text
    plan_id = attempt.json()["remediation_plan_id"]
    assert plan_id is not None
    await _relay_giving_up(api, session_factory, temporal_env)
    async with session_factory() as session:
        plan = await session.get(RemediationPlan, uuid.UUID(plan_id))
        graded = await session.get(QuizAttempt, uuid.UUID(attempt.json()["attempt_id"]))
    assert plan.status == "failed" and graded is not None


async def test_free_text_grading_that_can_never_start_is_failed_and_the_attempt_counts_the_rest(
    api, temporal_env, session_factory, user_a
):
    from db.models import GradingReview
    from tests.support.grading import short_answer_quiz

    quiz_id, _ = await short_answer_quiz(api, session_factory, user_a, "grading-undone")
    async with AsyncExitStack() as stack:
        down = await _down(stack, api, temporal_env)
        attempt = await down.http.post(
            f"/v1/quizzes/{quiz_id}/attempts", json={"answers": {"q1": 0, "s1": "Light."}}, headers=down.auth(user_a)
        )
    assert attempt.status_code == 201, attempt.text
    assert attempt.json()["grading_status"] == "grading"
    await _relay_giving_up(api, session_factory, temporal_env)
    attempt_id = uuid.UUID(attempt.json()["attempt_id"])
    async with session_factory() as session:
        graded = await session.get(QuizAttempt, attempt_id)
        [review] = (await session.scalars(select(GradingReview).where(GradingReview.attempt_id == attempt_id))).all()
    assert graded.grading_status == "graded"
    assert review.status == "final" and review.outcome == "failed"


async def test_a_source_that_can_never_start_is_failed_and_its_bytes_removed(
    api, temporal_env, session_factory, user_a
):
    async with AsyncExitStack() as stack:
        down = await _down(stack, api, temporal_env)
        accepted = await upload(down, user_a, "notes.pdf", files.pdf([f"Never read {uuid.uuid4().hex}."]))
    assert accepted.status_code == 202, accepted.text
    async with session_factory() as session:
        key = (await session.get(Source, uuid.UUID(accepted.json()["id"]))).object_key
    store = object_store_from(api.settings)
    assert key and store.exists(key)
    await _relay_giving_up(api, session_factory, temporal_env)
    async with session_factory() as session:
        source = await session.get(Source, uuid.UUID(accepted.json()["id"]))
    assert source.status == "failed" and source.object_key is None
    assert not store.exists(key)


async def test_a_met_goal_whose_suggestions_can_never_start_stays_met(api, temporal_env, session_factory, user_a):
    async with AsyncExitStack() as stack:
        down = await _down(stack, api, temporal_env)
        goal = await down.http.post(
            "/v1/goals", json={"kind": "daily_reviews", "target": 5, "days": 3}, headers=down.auth(user_a)
        )
        met = await down.http.post(f"/v1/goals/{goal.json()['id']}/complete", headers=down.auth(user_a))
    assert met.status_code == 200 and met.json()["status"] == "met"
    await _relay_giving_up(api, session_factory, temporal_env)
    async with session_factory() as session:
        row = await session.get(Goal, uuid.UUID(goal.json()["id"]))
        records = await session.scalar(
            select(func.count()).where(WorkflowStart.workflow_id == f"subject-suggestions-{goal.json()['id']}")
        )
    assert row.status == "met" and records == 0


async def test_a_refused_request_writes_nothing(api, temporal_env, session_factory, user_a):
    """Over the daily quota: 429, and no course, no recorded start, no unit of quota used."""
    async with AsyncExitStack() as stack:
        down = await _down(stack, api, temporal_env, free_courses_per_day=0)
        refused = await down.http.post(
            "/v1/courses", json={"topic": unique_topic("refused")}, headers=down.auth(user_a)
        )
    assert refused.status_code == 429
    async with session_factory() as session:
        owner = await session.scalar(select(User.id).where(User.clerk_id == user_a))
        courses = await session.scalar(select(func.count()).select_from(Course).where(Course.owner_id == owner))
    assert courses == 0
    assert (await _usage(api, user_a))["courses"] == 0
