"""Writing the rollups. Each (day, scope) is rolled in one transaction that deletes its rows and
inserts them again from the event tables, then records the (scope, day) as rolled: running it
twice, or after a late event, leaves exactly what one run on the final data would.

Scopes: LEARNERS_SCOPE (everyone's learner-days: a learner belongs to no, one or several
organisations, and their own figures are the same in each) and each organisation (its segments).
What a run rolls: yesterday and the ANALYTICS_SETTLE_DAYS before it (nudge returns settle within
48 h; re-rolling a settled day changes nothing), every day a late event marked, and — for an
organisation with no rolled day yet — nothing older (use the backfill)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.analytics import learner_days, org_days, sessions
from db.analytics.days import Day
from db.models.analytics import LEARNERS_SCOPE

_MARK_ROLLED = text(
    """
    INSERT INTO analytics_rollups (scope, day) VALUES (:scope, :day)
    ON CONFLICT (scope, day) DO UPDATE SET rolled_at = now()
    """
)
_CLEAN = text("DELETE FROM analytics_dirty_days WHERE scope = :scope AND day = :day AND marked_at <= :since")


async def roll_learners(session: AsyncSession, day: Day) -> int:
    """Every learner's row for the day; returns how many learners had one."""
    statement = learner_days.day_statement(everyone=True, sessions_present=await sessions.available(session))
    await session.execute(text("DELETE FROM analytics_learner_days WHERE day = :day"), {"day": day.day})
    result = await session.execute(
        text(f"INSERT INTO analytics_learner_days ({learner_days.COLUMNS}) {statement}"),
        learner_days.day_params(day),
    )
    await _rolled(session, LEARNERS_SCOPE, day.day)
    # execute() is typed as returning a Result; for an INSERT it is a CursorResult.
    return cast(CursorResult[Any], result).rowcount


async def roll_organization(session: AsyncSession, organization_id: uuid.UUID, day: Day, churn_days: int) -> int:
    """Every segment's row of the organisation for the day; returns how many segments."""
    statement = org_days.day_statement(
        today=False, one_segment=False, sessions_present=await sessions.available(session)
    )
    await session.execute(
        text("DELETE FROM analytics_org_days WHERE organization_id = :org AND day = :day"),
        {"org": organization_id, "day": day.day},
    )
    result = await session.execute(
        text(
            "INSERT INTO analytics_org_days "
            f"(organization_id, day, churn_days, {org_days.COLUMNS}, {org_days.WINDOW_COLUMNS}) "
            "SELECT CAST(:org AS uuid), CAST(:day AS date), :churn_days, "
            f"{org_days.COLUMNS}, {org_days.WINDOW_COLUMNS} FROM ({statement}) d"
        ),
        org_days.day_params(organization_id, day, churn_days) | {"churn_days": churn_days},
    )
    await _rolled(session, organization_id, day.day)
    # Today's counters (migration 0023) of the days before this one are read by nobody any more:
    # the live read takes this day's row and the next day's counters (and this day's starts).
    for table in ("analytics_live_gaps", "analytics_live_starts"):
        await session.execute(
            text(f"DELETE FROM {table} WHERE organization_id = :org AND day < :day"),
            {"org": organization_id, "day": day.day},
        )
    # execute() is typed as returning a Result; for an INSERT it is a CursorResult.
    return cast(CursorResult[Any], result).rowcount


async def _rolled(session: AsyncSession, scope: uuid.UUID, day: date) -> None:
    # The dirty mark is cleared only if it is older than this transaction's snapshot: a late
    # event marked while the day was being rolled keeps its mark for the next run.
    since = await session.scalar(text("SELECT now()"))
    await session.execute(_CLEAN, {"scope": scope, "day": day, "since": since})
    await session.execute(_MARK_ROLLED, {"scope": scope, "day": day})


async def organizations(session: AsyncSession) -> list[uuid.UUID]:
    return list(await session.scalars(text("SELECT id FROM organizations ORDER BY id")))


async def days_to_roll(session: AsyncSession, yesterday: date, settle_days: int) -> list[tuple[date, uuid.UUID]]:
    """(day, scope) pairs a scheduled run rolls, oldest first, learners before organisations."""
    recent = [yesterday - timedelta(days=n) for n in range(settle_days)]
    scopes = [LEARNERS_SCOPE, *await organizations(session)]
    wanted = {(day, scope) for day in recent for scope in scopes}
    dirty = await session.execute(
        text("SELECT day, scope FROM analytics_dirty_days WHERE day <= :yesterday"), {"yesterday": yesterday}
    )
    wanted |= {(row.day, row.scope) for row in dirty}
    # A dirty organisation day re-rolls the learners' day too (their own figures changed as well).
    wanted |= {(day, LEARNERS_SCOPE) for day, _ in list(wanted)}
    return sorted(wanted, key=lambda pair: (pair[0], pair[1] != LEARNERS_SCOPE, str(pair[1])))
