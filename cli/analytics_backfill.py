"""`studyflow analytics-backfill --from --to [--org] [--direct]`: roll up a range of days.

By default it starts AnalyticsRollupWorkflow for the range on the worker (one workflow, every
(day, scope) an idempotent activity) and waits for it; `--direct` runs the same activity code in
this process, without Temporal (a first backfill before the worker is deployed, or the bench).
Running either again rewrites the same rows."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime

from activities.analytics_activities import AnalyticsActivities, roll_unit
from cli.schedules import analytics_input
from db.engine import create_engine, create_session_factory
from studyflow import workflow_ids
from studyflow.contracts.workflow_inputs import RollupDayInput, RollupPlanInput
from studyflow.settings import Settings


async def backfill(
    settings: Settings, first: date, last: date, organization_id: uuid.UUID | None, *, direct: bool
) -> int:
    if last < first:
        print(f"analytics-backfill: --to {last} is before --from {first}")
        return 2
    if direct:
        return await backfill_direct(settings, first, last, organization_id)
    from temporalio.common import WorkflowIDReusePolicy

    from studyflow.temporal_client import connect
    from workflows.analytics_rollup import AnalyticsRollupWorkflow

    client = await connect(settings)
    started = time.perf_counter()
    rolled = await client.execute_workflow(
        AnalyticsRollupWorkflow.run,
        analytics_input(settings, first=first, last=last, organization_id=organization_id),
        id=workflow_ids.analytics_backfill(first, last, organization_id),
        task_queue=settings.task_queue_background,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    print(f"analytics-backfill: {rolled} (day, scope) rolled in {time.perf_counter() - started:.1f} s")
    return 0


async def backfill_direct(
    settings: Settings, first: date, last: date, organization_id: uuid.UUID | None, *, quiet: bool = False
) -> int:
    if not settings.database_url:
        print("analytics-backfill: DATABASE_URL is not set")
        return 2
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    try:
        plan = RollupPlanInput(
            now=datetime.now(UTC),
            timezone=settings.day_timezone,
            settle_days=settings.analytics_settle_days,
            first=first,
            last=last,
            organization_id=organization_id,
        )
        units = await AnalyticsActivities(sessions).plan_rollup(plan)
        started = time.perf_counter()
        for unit in units:
            began = time.perf_counter()
            rows = await roll_unit(
                sessions,
                RollupDayInput(unit=unit, timezone=settings.day_timezone, churn_days=settings.analytics_churn_days),
            )
            if not quiet:
                print(f"  {unit.day} {unit.scope}: {rows} rows in {time.perf_counter() - began:.2f} s")
        print(f"analytics-backfill: {len(units)} (day, scope) rolled in {time.perf_counter() - started:.1f} s")
        return 0
    finally:
        await engine.dispose()
