"""Engagement nudges on a real Temporal Schedule, and the notifications inbox."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from temporalio.client import ScheduleOverlapPolicy

from activities.nudge_templates import template_message
from cli.schedules import upsert_schedules
from db.models import Course, Membership, Notification, Organization, TutoringSession, User
from studyflow.contracts.workflow_inputs import NudgeRunInput
from studyflow.engines import BUNDLED_MODEL
from tests.support.polling import poll_until
from tests.support.scripted_openai import Reply
from workflows.engagement_nudges import EngagementNudgesWorkflow


async def _learners(session_factory, day: date) -> dict[str, uuid.UUID]:
    """One learner per situation, dated relative to `day`."""
    tag = uuid.uuid4().hex[:8]
    joined_week_ago = datetime.combine(day - timedelta(days=7), datetime.min.time(), UTC) + timedelta(hours=12)
    rows = {
        "streak_at_risk": {"last_active_date": day - timedelta(days=1), "streak_current": 4},
        "inactive": {"last_active_date": day - timedelta(days=5), "streak_current": 0},
        "new_learner": {"created_at": joined_week_ago, "quiz_attempts": 1},
        "active_today": {"last_active_date": day, "streak_current": 2},
        "engaged_new_learner": {
            "created_at": joined_week_ago,
            "quiz_attempts": 5,
            "last_active_date": day - timedelta(days=1),
        },
        "deleted": {"last_active_date": day - timedelta(days=9), "deleted_at": datetime.now(UTC)},
    }
    ids = {}
    async with session_factory.begin() as session:
        for name, values in rows.items():
            ids[name] = await session.scalar(
                insert(User).values(clerk_id=f"{name}-{tag}", email=f"{name}@example.com", **values).returning(User.id)
            )
        # The inactive learner has a course: their nudge prompt mentions it.
        await session.execute(
            insert(Course).values(
                owner_id=ids["inactive"],
                topic=f"Quantum knitting {tag}",
                course_type="practical",
                difficulty="beginner",
                status="ready",
            )
        )
    ids["_tag"] = tag
    return ids


async def _nudges(session_factory, user_ids) -> dict[uuid.UUID, list[Notification]]:
    async with session_factory() as session:
        rows = await session.scalars(select(Notification).where(Notification.user_id.in_(list(user_ids))))
        found: dict[uuid.UUID, list[Notification]] = {}
        for row in rows:
            found.setdefault(row.user_id, []).append(row)
        return found


async def _run(temporal_env, settings, day: date | None = None) -> int:
    return await temporal_env.client.execute_workflow(
        EngagementNudgesWorkflow.run,
        NudgeRunInput(timezone="UTC", day=day, batch_size=2, batches_per_run=2),
        id=f"nudges-test-{uuid.uuid4()}",
        task_queue=settings.task_queue_background,
    )


async def test_nudges_go_to_exactly_the_matching_learners_once_per_day(
    temporal_env, settings, worker, session_factory, llm_server
):
    day = date(2020, 1, 10)  # before every other test's learners existed: only ours can match
    ids = await _learners(session_factory, day)
    llm_server.on(f"Quantum knitting {ids['_tag']}", [Reply.error(503)], repeat_last=True)
    created = await _run(temporal_env, settings, day)  # batch 2 × 2 batches, then continue-as-new
    assert created == 3
    learners = {k: v for k, v in ids.items() if not k.startswith("_")}
    nudges = await _nudges(session_factory, learners.values())
    by_name = {name: nudges.get(uid, []) for name, uid in learners.items()}
    assert {name for name, rows in by_name.items() if rows} == {"streak_at_risk", "inactive", "new_learner"}
    assert all(len(rows) == 1 for rows in by_name.values() if rows)
    assert by_name["streak_at_risk"][0].reason == "streak_at_risk" and by_name["streak_at_risk"][0].source == "llm"
    # The LLM failed for the inactive learner: the template stands in, nothing is lost.
    template = by_name["inactive"][0]
    assert template.source == "template" and f"Quantum knitting {ids['_tag']}" in template.message

    assert await _run(temporal_env, settings, day) == 0, "a second run the same day writes nothing"
    assert sum(len(r) for r in (await _nudges(session_factory, learners.values())).values()) == 3


async def test_applying_schedules_twice_leaves_one_schedule_and_a_trigger_nudges_today(
    temporal_env, settings, worker, session_factory
):
    tag = uuid.uuid4().hex[:8]
    configured = settings.model_copy(
        update={
            "nudge_schedule_id": f"nudges-{tag}",
            "reconcile_schedule_id": f"reconcile-{tag}",
            "analytics_schedule_id": f"analytics-{tag}",
            "tutor_digest_schedule_id": f"digest-{tag}",
            "nudge_hour": 6,
        }
    )
    client = temporal_env.client
    await upsert_schedules(client, configured)
    await upsert_schedules(client, configured.model_copy(update={"nudge_hour": 21}))
    schedules = [s async for s in await client.list_schedules() if s.id == configured.nudge_schedule_id]
    assert len(schedules) == 1
    handle = client.get_schedule_handle(configured.nudge_schedule_id)
    described = await handle.describe()
    spec = described.schedule.spec
    assert [r.start for r in spec.calendars[0].hour] == [21] and spec.time_zone_name == "UTC"
    assert described.schedule.policy.overlap == ScheduleOverlapPolicy.SKIP
    # The tutors' digest: weekly on TUTOR_DIGEST_WEEKDAY (0 = Monday; Temporal counts from Sunday).
    digest = (await client.get_schedule_handle(configured.tutor_digest_schedule_id).describe()).schedule.spec
    assert [r.start for r in digest.calendars[0].day_of_week] == [1] and [
        r.start for r in digest.calendars[0].hour
    ] == [21]
    try:
        today = datetime.now(UTC).date()
        ids = await _learners(session_factory, today)
        await handle.trigger()
        learners = [v for k, v in ids.items() if not k.startswith("_")]
        nudged = await poll_until(lambda: _nudges(session_factory, learners), lambda found: len(found) == 3, timeout=60)
        assert {ids["streak_at_risk"], ids["inactive"], ids["new_learner"]} == set(nudged)
    finally:
        await handle.delete()
        await client.get_schedule_handle(configured.reconcile_schedule_id).delete()
        await client.get_schedule_handle(configured.analytics_schedule_id).delete()
        await client.get_schedule_handle(configured.tutor_digest_schedule_id).delete()


@pytest.fixture
async def inbox(api, session_factory, user_a):
    await api.http.get("/v1/me", headers=api.auth(user_a))
    async with session_factory.begin() as session:
        user_id = await session.scalar(select(User.id).where(User.clerk_id == user_a))
        for offset, kind in enumerate(["engagement", "streak", "system"]):
            await session.execute(
                insert(Notification).values(
                    user_id=user_id,
                    kind=kind,
                    message=f"message {offset}",
                    day=date(2026, 1, 1) + timedelta(days=offset),
                )
            )
    return user_a


async def test_notifications_list_unread_first_and_can_be_read(api, inbox):
    headers = api.auth(inbox)
    listing = (await api.http.get("/v1/notifications", headers=headers)).json()
    assert listing["unread"] == 3 and len(listing["items"]) == 3
    first = listing["items"][-1]["id"]
    read = await api.http.post(f"/v1/notifications/{first}/read", headers=headers)
    assert read.status_code == 200 and read.json()["read_at"]
    again = (await api.http.get("/v1/notifications", headers=headers)).json()
    assert again["unread"] == 2 and again["items"][-1]["id"] == first, "read ones sink to the end"
    assert (await api.http.post("/v1/notifications/read-all", headers=headers)).json() == {"marked_read": 2}
    page = (await api.http.get("/v1/notifications?limit=1&offset=1", headers=headers)).json()
    assert page["unread"] == 0 and len(page["items"]) == 1


async def test_a_slow_llm_does_not_kill_the_nudge_batch(temporal_env, settings, worker, session_factory, llm_server):
    """The LLM call outlasts the batch's heartbeat timeout: the batch keeps heartbeating, so the
    first attempt finishes and writes the nudge instead of timing out and starting over."""
    day = date(2018, 3, 14)  # no other test's learner matches this day
    tag = uuid.uuid4().hex[:8]
    async with session_factory.begin() as session:
        user_id = await session.scalar(
            insert(User)
            .values(clerk_id=f"slow-{tag}", last_active_date=day - timedelta(days=1), streak_current=3)
            .returning(User.id)
        )
        await session.execute(
            insert(Course).values(
                owner_id=user_id,
                topic=f"Slow tides {tag}",
                course_type="practical",
                difficulty="beginner",
                status="ready",
            )
        )
    llm_server.on(f"Slow tides {tag}", [Reply.auto(delay=2.5)], repeat_last=True)
    created = await temporal_env.client.execute_workflow(
        EngagementNudgesWorkflow.run,
        NudgeRunInput(timezone="UTC", day=day, heartbeat_seconds=1),
        id=f"nudges-slow-{tag}",
        task_queue=settings.task_queue_background,
        execution_timeout=timedelta(seconds=40),
    )
    assert created == 1
    [nudge] = (await _nudges(session_factory, [user_id]))[user_id]
    assert nudge.source == "llm"
    assert llm_server.arrived(f"Slow tides {tag}") == 1, "one attempt, no retry after a heartbeat timeout"


async def test_an_organisations_learner_with_few_tutoring_sessions_is_nudged_on_day_seven(
    temporal_env, settings, worker, session_factory, llm_server
):
    """SPEC §12: a learner who joined an organisation seven days ago with fewer than three tutoring
    sessions gets the organisation's nudge, once; three sessions, another day, a removed membership
    or a tutor's role do not."""
    day = date(2017, 6, 19)  # before every other test's dates: only these people can match
    joined = datetime.combine(day - timedelta(days=7), datetime.min.time(), UTC) + timedelta(hours=9)
    tag = uuid.uuid4().hex[:8]
    people = {  # name: (joined, role, tutoring sessions, removed)
        "two_sessions": (joined, "learner", 2, False),
        "three_sessions": (joined, "learner", 3, False),
        "joined_a_day_later": (joined + timedelta(days=1), "learner", 0, False),
        "removed": (joined, "learner", 0, True),
        "a_tutor": (joined, "tutor", 0, False),
    }
    ids = {}
    async with session_factory.begin() as session:
        org = await session.scalar(insert(Organization).values(name=f"Centre {tag}").returning(Organization.id))
        for name, (since, role, sessions, removed) in people.items():
            ids[name] = await session.scalar(
                insert(User).values(clerk_id=f"{name}-{tag}", display_name=name).returning(User.id)
            )
            await session.execute(
                insert(Membership).values(
                    organization_id=org,
                    user_id=ids[name],
                    role=role,
                    created_at=since,
                    removed_at=since + timedelta(days=1) if removed else None,
                )
            )
            for n in range(sessions):
                await session.execute(
                    insert(TutoringSession).values(
                        organization_id=org,
                        learner_id=ids[name],
                        subject=f"Algebra {n}",
                        session_date=day - timedelta(days=6 - n),
                        transcript_format="txt",
                        status="ready",
                    )
                )
    situation = "fewer than three sessions with their tutor"  # the prompt's words for this reason
    llm_server.on(situation, [Reply.json({"message": f"Book a session {tag}"})])
    asked_before = llm_server.arrived(situation)
    created = await _run(temporal_env, settings, day)
    nudges = await _nudges(session_factory, ids.values())
    assert set(nudges) == {ids["two_sessions"]}, {name for name, uid in ids.items() if uid in nudges}
    [nudge] = nudges[ids["two_sessions"]]
    assert (nudge.reason, nudge.source, nudge.message) == ("few_tutoring_sessions", "llm", f"Book a session {tag}")
    assert llm_server.arrived(situation) - asked_before == 1 and created == 1
    assert await _run(temporal_env, settings, day) == 0, "one nudge a learner a day"


async def test_with_the_bundled_model_a_nudge_is_the_template_and_the_model_is_not_asked(
    stack_with, temporal_env, session_factory, llm_server
):
    """The bundled model's nudges carried "[user's name]", "{session_title}" and invented facts:
    with it, the learner gets the template's true sentence and no model call is made."""
    api = await stack_with(openai_model=BUNDLED_MODEL)
    day = date(2015, 3, 10)  # before every other test's dates: only this learner can match
    joined = datetime.combine(day - timedelta(days=7), datetime.min.time(), UTC) + timedelta(hours=12)
    tag = uuid.uuid4().hex[:8]
    async with session_factory.begin() as session:
        learner = await session.scalar(
            insert(User).values(clerk_id=f"bundled-{tag}", created_at=joined, quiz_attempts=1).returning(User.id)
        )
    asked_before = llm_server.arrived("joined a week ago")
    created = await _run(temporal_env, api.settings, day)
    [nudge] = (await _nudges(session_factory, [learner]))[learner]
    assert (created, nudge.reason, nudge.source) == (1, "new_learner", "template")
    assert nudge.message == template_message("new_learner", 0, 0, None)
    assert llm_server.arrived("joined a week ago") == asked_before
