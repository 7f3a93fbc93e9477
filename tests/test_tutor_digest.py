"""The tutors' weekly digest (SPEC §12): each tutor with linked learners gets one digest of the
past week — learners at risk, overdue assignments, misconceptions their sessions showed — from a
durable workflow on a Temporal Schedule, once however often it runs."""

from __future__ import annotations

import os
import uuid
from datetime import date, timedelta

from sqlalchemy import insert, select, update
from temporalio.testing import ActivityEnvironment

from activities.tutor_digest_activities import TutorDigestActivities
from db.models import (
    Assignment,
    AssignmentTarget,
    Course,
    Notification,
    SessionAnalysis,
    SessionConcept,
    TutoringSession,
    TutorLink,
    User,
)
from studyflow.contracts.activity_io import DigestBatch
from studyflow.contracts.workflow_inputs import TutorDigestInput
from studyflow.tutor_digest import AtRisk, DigestFacts, digest_message
from tests.support.organization_world import organization
from tests.support.replay import HISTORIES, RECORDING_LABEL, replayer
from workflows.tutor_digest import TutorDigestWorkflow

DAY = date(2021, 3, 15)  # a Monday; the digest covers 8–14 March


async def _session_with(session, world, learner: uuid.UUID, tutor: uuid.UUID, on: date, concepts) -> None:
    tutoring = await session.scalar(
        insert(TutoringSession)
        .values(
            organization_id=world.org_id,
            learner_id=learner,
            tutor_id=tutor,
            subject="Fractions",
            session_date=on,
            transcript_format="txt",
            status="ready",
        )
        .returning(TutoringSession.id)
    )
    analysis = await session.scalar(
        insert(SessionAnalysis).values(session_id=tutoring, version=1, status="ready").returning(SessionAnalysis.id)
    )
    for position, (name, showed) in enumerate(concepts):
        await session.execute(
            insert(SessionConcept).values(
                analysis_id=analysis,
                position=position,
                name=name,
                key=name.lower(),
                difficulty=3,
                learner_showed=showed,
                evidence=[],
            )
        )


async def _assign(session, world, tutor, learner, course, title: str, due: date, status: str) -> None:
    assignment = await session.scalar(
        insert(Assignment)
        .values(
            organization_id=world.org_id,
            created_by=tutor,
            kind="quiz",
            course_id=course,
            learner_id=learner,
            title=title,
            due_date=due,
        )
        .returning(Assignment.id)
    )
    await session.execute(insert(AssignmentTarget).values(assignment_id=assignment, learner_id=learner, status=status))


async def _digests(session_factory, user_ids) -> dict[uuid.UUID, list[Notification]]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(Notification).where(Notification.user_id.in_(list(user_ids)), Notification.kind == "tutor_digest")
        )
        found: dict[uuid.UUID, list[Notification]] = {}
        for row in rows:
            found.setdefault(row.user_id, []).append(row)
        return found


async def test_each_tutor_gets_one_digest_of_their_learners_week(api, temporal_env, settings, worker, session_factory):
    world = await organization(api)
    tag = uuid.uuid4().hex[:6]
    tutor, other_tutor = uuid.UUID(world["tutor"].user_id), uuid.UUID(world["other_tutor"].user_id)
    learner, peer = uuid.UUID(world["learner"].user_id), uuid.UUID(world["peer"].user_id)
    async with session_factory.begin() as session:
        await session.execute(
            update(User)
            .where(User.id == learner)
            .values(display_name=f"Lena {tag}", last_active_date=DAY - timedelta(days=10))
        )
        await session.execute(
            update(User)
            .where(User.id == peer)
            .values(display_name=f"Omar {tag}", last_active_date=DAY - timedelta(days=1))
        )
        # The peer is linked to the tutor too (the learner already is, through the invitation).
        await session.execute(insert(TutorLink).values(organization_id=world.org_id, tutor_id=tutor, learner_id=peer))
        course = await session.scalar(
            insert(Course)
            .values(owner_id=tutor, topic="Fractions", course_type="practical", difficulty="beginner", status="ready")
            .returning(Course.id)
        )
        await _assign(session, world, tutor, learner, course, f"Fractions quiz {tag}", DAY - timedelta(days=2), "open")
        await _assign(session, world, tutor, peer, course, f"Done on time {tag}", DAY - timedelta(days=2), "completed")
        await _assign(session, world, tutor, peer, course, f"Not due yet {tag}", DAY + timedelta(days=3), "open")
        await _session_with(
            session,
            world,
            learner,
            tutor,
            DAY - timedelta(days=3),
            [(f"adding tops and bottoms {tag}", "misconception"), (f"equivalent fractions {tag}", "understood")],
        )
        await _session_with(
            session, world, peer, tutor, DAY - timedelta(days=9), [(f"last month's slip {tag}", "misconception")]
        )

    handle = await temporal_env.client.start_workflow(
        TutorDigestWorkflow.run,
        # Small pages: the full suite's other tutors make it page and continue as new.
        TutorDigestInput(day=DAY, batch_size=5, batches_per_run=2, inactive_days=settings.nudge_inactive_days),
        id=f"tutor-digest-test-{tag}",
        task_queue=settings.task_queue_background,
    )
    assert await handle.result() >= 1
    everyone = [tutor, other_tutor, learner, peer, uuid.UUID(world["admin"].user_id)]
    digests = await _digests(session_factory, everyone)
    assert set(digests) == {tutor}, "only a tutor with linked learners gets a digest"
    [digest] = digests[tutor]
    assert digest.link == "/learners"
    message = digest.message
    assert message.startswith("Your week with 2 learners (8 Mar – 14 Mar).")
    assert f"At risk: Lena {tag} (no study for 10 days)." in message and f"Omar {tag} (" not in message
    assert f"Overdue: “Fractions quiz {tag}” (Lena {tag}, due 13 Mar)." in message
    assert "Done on time" not in message and "Not due yet" not in message
    assert f"Misconceptions seen: adding tops and bottoms {tag} (Lena {tag}, 12 Mar)." in message
    assert "equivalent fractions" not in message and "last month's slip" not in message

    again = await temporal_env.client.execute_workflow(
        TutorDigestWorkflow.run,
        TutorDigestInput(day=DAY, batch_size=50),
        id=f"tutor-digest-again-{tag}",
        task_queue=settings.task_queue_background,
    )
    assert again == 0, "a second run for the same week writes nothing"
    assert len((await _digests(session_factory, [tutor]))[tutor]) == 1

    history = await handle.fetch_history()
    await replayer().replay_workflow(history)
    if os.environ.get("STUDYFLOW_RECORD_HISTORIES"):
        (HISTORIES / f"TutorDigestWorkflow__{RECORDING_LABEL}.json").write_text(history.to_json())


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[str | None, str, str]] = []

    async def deliver(self, email: str | None, subject: str, body: str) -> None:
        self.sent.append((email, subject, body))


async def test_a_retried_digest_batch_sends_no_second_email(api, session_factory):
    world = await organization(api)
    tutor = uuid.UUID(world["tutor"].user_id)
    async with session_factory.begin() as session:
        await session.execute(update(User).where(User.id == tutor).values(email=f"{world.org_id}@example.com"))
    notifier = RecordingNotifier()
    activities = TutorDigestActivities(session_factory, notifier)
    batch = DigestBatch(day=date(2021, 4, 5), tutor_ids=[tutor, uuid.uuid4()], inactive_days=3)
    environment = ActivityEnvironment()
    assert await environment.run(activities.send_tutor_digests, batch) == 1
    assert await environment.run(activities.send_tutor_digests, batch) == 0, "the retry finds it written"
    assert [(email, subject) for email, subject, _ in notifier.sent] == [
        (f"{world.org_id}@example.com", "Your learners this week")
    ]


def test_a_quiet_week_says_so_and_a_long_list_is_counted():
    quiet = DigestFacts(week_start=date(2021, 3, 8), week_end=date(2021, 3, 14), learners=1)
    assert digest_message(quiet) == (
        "Your week with 1 learner (8 Mar – 14 Mar). Everyone studied recently, nothing is overdue, and "
        "your sessions showed no misconceptions."
    )
    crowd = DigestFacts(
        week_start=date(2021, 3, 8),
        week_end=date(2021, 3, 14),
        learners=8,
        at_risk=[AtRisk(f"L{n}", None if n == 0 else n + 3) for n in range(8)],
    )
    assert digest_message(crowd) == (
        "Your week with 8 learners (8 Mar – 14 Mar). At risk: L0 (has not studied yet); L1 (no study for 4 days); "
        "L2 (no study for 5 days); L3 (no study for 6 days); L4 (no study for 7 days); and 3 more."
    )
