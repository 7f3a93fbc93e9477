"""Writers of one learner's rows take their locks in one order (the learner's row first), so
concurrent requests of one learner wait for each other instead of deadlocking. Found by the abuse
run: a quiz attempt (counters, then the day of study) against opening notes (the day of study
alone) ended in PostgreSQL's "deadlock detected" and a 503."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from sqlalchemy import select

from db.models import LearnerActiveDay, User
from db.user_counters import add_quiz_attempt, record_activity_day


async def test_an_attempt_and_a_day_of_study_at_once_both_commit(session_factory):
    async with session_factory.begin() as session:
        user = User(clerk_id=f"lock_{uuid.uuid4().hex[:10]}")
        session.add(user)
    day = date(2026, 12, 6)
    attempt_holds_the_learner = asyncio.Event()

    async def attempt():
        async with session_factory.begin() as session:
            await add_quiz_attempt(session, user.id, questions=3, correct=1, seconds=60)
            attempt_holds_the_learner.set()
            await asyncio.sleep(0.5)  # the other request reaches its lock meanwhile
            await record_activity_day(session, user.id, day)

    async def opened_notes():
        await attempt_holds_the_learner.wait()
        async with session_factory.begin() as session:
            await record_activity_day(session, user.id, day)

    # With the day locked before the learner (the old order) one of them failed with DeadlockDetected.
    await asyncio.wait_for(asyncio.gather(attempt(), opened_notes()), timeout=30)
    async with session_factory() as session:
        row = await session.get(User, user.id)
        assert (row.quiz_attempts, row.streak_current, row.last_active_date) == (1, 1, day)
        days = (await session.scalars(select(LearnerActiveDay.day).where(LearnerActiveDay.user_id == user.id))).all()
        assert days == [day]
