"""Activities of AnalyticsRollupWorkflow: plan which (day, scope) to roll, and roll one — a
delete-and-insert in one transaction (db/analytics/rollup.py), so a retry or a second run writes
the same rows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from db.analytics import rollup
from db.analytics.days import Day, days_between
from db.models.analytics import LEARNERS_SCOPE
from studyflow.contracts.workflow_inputs import RollupDayInput, RollupPlanInput, RollupUnit
from studyflow.local_day import today_in


class AnalyticsActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]):
        self._sessions = session_factory

    @activity.defn
    async def plan_rollup(self, data: RollupPlanInput) -> list[RollupUnit]:
        async with self._sessions() as session:
            if data.first is None or data.last is None:
                yesterday = today_in(data.timezone, data.now) - timedelta(days=1)
                pairs = await rollup.days_to_roll(session, yesterday, data.settle_days)
            else:
                scopes = [data.organization_id] if data.organization_id else await rollup.organizations(session)
                pairs = [
                    (day, scope) for day in days_between(data.first, data.last) for scope in [LEARNERS_SCOPE, *scopes]
                ]
        return [RollupUnit(day=day, scope=scope) for day, scope in pairs]

    @activity.defn
    async def roll_day(self, data: RollupDayInput) -> int:
        return await roll_unit(self._sessions, data)


async def roll_unit(sessions: async_sessionmaker[AsyncSession], data: RollupDayInput) -> int:
    """One (day, scope) in one transaction; also what `studyflow analytics-backfill --direct` runs."""
    day = Day.of(data.unit.day, data.timezone)
    async with sessions.begin() as session:
        if data.unit.scope == LEARNERS_SCOPE:
            return await rollup.roll_learners(session, day)
        return await rollup.roll_organization(session, data.unit.scope, day, data.churn_days)
