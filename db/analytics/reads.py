"""The read path: a period's rolled days, plus the recent days not rolled yet computed live with
the rollup's own statements (today always; yesterday until the night's run has rolled it). Older
days that were never rolled are not scanned on a request: they are counted in `not_rolled` (the
backfill fills them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.analytics import learner_days, org_days, org_today
from db.analytics.days import Day, days_between
from db.analytics.learner_days import LearnerDay
from db.analytics.org_days import OrgDay
from db.models.analytics import LEARNERS_SCOPE

T = TypeVar("T")
_ROLLED = text("SELECT day FROM analytics_rollups WHERE scope = :scope AND day BETWEEN :first AND :last")


@dataclass(frozen=True)
class Window:
    first: date
    last: date  # at most today
    today: date
    tz: str
    live_days_max: int

    @property
    def days(self) -> list[date]:
        return days_between(self.first, self.last)


@dataclass
class Days(Generic[T]):
    days: list[T]  # one per day of the window, oldest first
    not_rolled: int  # days neither rolled nor recent enough to compute live (counted as empty)


async def _split(session: AsyncSession, scope: uuid.UUID, window: Window) -> tuple[set[date], list[date], int]:
    """(rolled days, days to compute live, days left out)."""
    rolled = set(await session.scalars(_ROLLED, {"scope": scope, "first": window.first, "last": window.last}))
    recent_from = window.today - timedelta(days=window.live_days_max - 1)
    missing = [d for d in window.days if d not in rolled]
    live = [d for d in missing if d >= recent_from]
    return rolled, live, len(missing) - len(live)


async def learner_window(session: AsyncSession, learner: uuid.UUID, window: Window) -> tuple[Days[LearnerDay], int]:
    """Every day of the window for one learner, and the concepts mastered before it began."""
    _, live, not_rolled = await _split(session, LEARNERS_SCOPE, window)
    rows = await session.execute(
        text(
            f"SELECT {learner_days.COLUMNS} FROM analytics_learner_days "
            "WHERE user_id = :learner AND day BETWEEN :first AND :last"
        ),
        {"learner": learner, "first": window.first, "last": window.last},
    )
    by_day = {row.day: LearnerDay.of(row) for row in rows}
    for day in live:
        by_day[day] = await learner_days.live_day(session, learner, Day.of(day, window.tz))
    before = await session.scalar(
        text(
            "SELECT mastered FROM analytics_learner_days WHERE user_id = :learner AND day < :first "
            "ORDER BY day DESC LIMIT 1"
        ),
        {"learner": learner, "first": window.first},
    )
    return Days([by_day.get(d) or LearnerDay(d) for d in window.days], not_rolled), before or 0


async def organization_window(
    session: AsyncSession,
    organization_id: uuid.UUID,
    segment: str,
    segment_id: uuid.UUID,
    window: Window,
    churn_days: int,
) -> Days[OrgDay]:
    _, live, not_rolled = await _split(session, organization_id, window)
    rows = await session.execute(
        text(
            f"SELECT day, {org_days.COLUMNS} FROM analytics_org_days "
            "WHERE organization_id = :org AND segment = :segment AND segment_id = :segment_id "
            "AND day BETWEEN :first AND :last"
        ),
        {
            "org": organization_id,
            "segment": segment,
            "segment_id": segment_id,
            "first": window.first,
            "last": window.last,
        },
    )
    by_day = {row.day: OrgDay.of(row.day, row) for row in rows}
    for day in live:
        if day == window.today and segment == org_days.ALL:
            fast = await org_today.today_from_yesterday(session, organization_id, Day.of(day, window.tz), churn_days)
            if fast is not None:
                by_day[day] = fast
                continue
        by_day[day] = await org_days.live_day(
            session,
            organization_id,
            segment,
            segment_id,
            Day.of(day, window.tz),
            today=day == window.today,
            churn_days=churn_days,
        )
    return Days([by_day.get(d) or OrgDay(d) for d in window.days], not_rolled)
