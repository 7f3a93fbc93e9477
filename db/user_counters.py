"""Atomic counter updates on `users`: every change is one UPDATE with `x = x + n`, never a
read-modify-write, so concurrent requests and activity retries cannot lose an update."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LearnerActiveDay, User


async def _consume_daily(
    session: AsyncSession, user_id: uuid.UUID, today: date, limit: int, counter, other_counter
) -> bool:
    """Take one unit from today's quota held in `counter`. The row lock taken by the UPDATE
    serialises concurrent requests, so the quota can never be exceeded. A new day resets both
    daily counters."""
    if limit <= 0:
        return False
    is_today = User.usage_date == today
    result = await session.execute(
        update(User)
        .where(User.id == user_id)
        .where((User.usage_date.is_distinct_from(today)) | (counter < limit))
        .values(
            {
                counter: case((is_today, counter + 1), else_=1),
                other_counter: case((is_today, other_counter), else_=0),
                User.usage_date: today,
            }
        )
        .returning(User.id)
    )
    return result.first() is not None


async def consume_course_quota(session: AsyncSession, user_id: uuid.UUID, today: date, limit: int) -> bool:
    return await _consume_daily(session, user_id, today, limit, User.courses_created_today, User.study_content_today)


async def consume_study_content_quota(session: AsyncSession, user_id: uuid.UUID, today: date, limit: int) -> bool:
    return await _consume_daily(session, user_id, today, limit, User.study_content_today, User.courses_created_today)


async def _refund_daily(session: AsyncSession, user_id: uuid.UUID, today: date, counter) -> None:
    """Give back one unit taken today (work that could not be started); never below zero."""
    await session.execute(
        update(User).where(User.id == user_id, User.usage_date == today, counter > 0).values({counter: counter - 1})
    )


async def refund_course_quota(session: AsyncSession, user_id: uuid.UUID, today: date) -> None:
    await _refund_daily(session, user_id, today, User.courses_created_today)


async def refund_study_content_quota(session: AsyncSession, user_id: uuid.UUID, today: date) -> None:
    await _refund_daily(session, user_id, today, User.study_content_today)


async def record_activity_day(session: AsyncSession, user_id: uuid.UUID, day: date, at: datetime | None = None) -> None:
    """Extend, keep or restart the learner's streak for activity on `day` (at `at`, default now),
    and keep the day for analytics: its first and last moment tell whether a learner came back
    after a nudge."""
    # The learner's row first, the day's row second, as every other writer locks the learner
    # (an attempt's counters, study time): the other order deadlocked against a concurrent attempt.
    new_streak = case(
        (User.last_active_date == day, User.streak_current),
        (User.last_active_date == day - timedelta(days=1), User.streak_current + 1),
        (User.last_active_date > day, User.streak_current),
        else_=1,
    )
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(
            streak_current=new_streak,
            streak_longest=func.greatest(User.streak_longest, new_streak),
            last_active_date=func.greatest(func.coalesce(User.last_active_date, day), day),
        )
    )
    moment = at if at is not None else func.now()
    day_row = insert(LearnerActiveDay).values(user_id=user_id, day=day, first_at=moment, last_at=moment)
    await session.execute(
        day_row.on_conflict_do_update(
            index_elements=["user_id", "day"],
            set_={
                "first_at": func.least(LearnerActiveDay.first_at, day_row.excluded.first_at),
                "last_at": func.greatest(LearnerActiveDay.last_at, day_row.excluded.last_at),
            },
        )
    )


async def add_quiz_attempt(
    session: AsyncSession, user_id: uuid.UUID, *, questions: int, correct: int, seconds: int
) -> None:
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(
            quiz_attempts=User.quiz_attempts + 1,
            quiz_questions=User.quiz_questions + questions,
            quiz_correct=User.quiz_correct + correct,
            study_seconds=User.study_seconds + seconds,
        )
    )
