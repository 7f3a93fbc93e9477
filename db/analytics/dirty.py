"""Late events: a change to a day that may already be rolled up marks it, and the next rollup run
rolls it again. Written by the few writers that change the past (a suggestion accepted days after
it was offered, a goal's due date moved or the goal deleted, a tutoring session recorded after
the day it took place), in their own transaction, where DAY_TIMEZONE is known; a trigger could
not tell which day an instant belongs to, nor which organisations the learner is counted in.
Marking is an `ON CONFLICT DO NOTHING` insert: repeating it costs nothing."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.analytics import LEARNERS_SCOPE

_MARK = text(
    """
    INSERT INTO analytics_dirty_days (scope, day)
    SELECT :learners, :day
    UNION
    SELECT organization_id, :day FROM memberships WHERE user_id = :user_id AND removed_at IS NULL
    ON CONFLICT DO NOTHING
    """
)


async def mark_dirty(session: AsyncSession, user_id: uuid.UUID, day: date | None, today: date) -> None:
    """`day` of `user_id`'s data changed; only a past day can have been rolled."""
    if day is None or day >= today:
        return
    await session.execute(_MARK, {"learners": LEARNERS_SCOPE, "day": day, "user_id": user_id})
