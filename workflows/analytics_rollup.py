from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.analytics_activities import AnalyticsActivities
    from studyflow.contracts.workflow_inputs import AnalyticsRollupInput, RollupDayInput, RollupPlanInput
    from workflows.retry import DB_RETRY, execute_db_activity

# A day of a large organisation is one statement over its learners: seconds, not the 30 s of
# the quick database steps.
ROLL_TIMEOUT = timedelta(minutes=15)


@workflow.defn
class AnalyticsRollupWorkflow:
    """Rolls up days: nightly from the schedule (yesterday, the settle window, days late events
    marked) or a backfill's range. Each (day, scope) is one idempotent activity; after
    `units_per_run` it continues as new with the rest, so a year's backfill keeps a small history."""

    @workflow.run
    async def run(self, data: AnalyticsRollupInput) -> int:
        units = data.units
        if units is None:
            units = await execute_db_activity(
                AnalyticsActivities.plan_rollup,
                RollupPlanInput(
                    now=workflow.now(),
                    timezone=data.timezone,
                    settle_days=data.settle_days,
                    first=data.first,
                    last=data.last,
                    organization_id=data.organization_id,
                ),
            )
        rolled = data.rolled_so_far
        for unit in units[: data.units_per_run]:
            await workflow.execute_activity_method(
                AnalyticsActivities.roll_day,
                RollupDayInput(unit=unit, timezone=data.timezone, churn_days=data.churn_days),
                start_to_close_timeout=ROLL_TIMEOUT,
                retry_policy=DB_RETRY,
            )
            rolled += 1
        rest = units[data.units_per_run :]
        if rest:
            workflow.continue_as_new(data.model_copy(update={"units": rest, "rolled_so_far": rolled}))
        return rolled
