from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.reconciler_activities import ReconcilerActivities
    from studyflow.contracts.activity_io import RelayInput, StuckRowsInput, StuckRowsRepaired
    from studyflow.contracts.workflow_inputs import ReconcileInput
    from workflows.retry import DB_RETRY


@workflow.defn
class StuckRowReconcilerWorkflow:
    """On a schedule: start what the API recorded but never started, then repair rows left in
    progress with no workflow behind them. Both steps are idempotent, so overlapping or repeated
    runs are harmless (the schedule skips overlaps anyway)."""

    @workflow.run
    async def run(self, data: ReconcileInput) -> StuckRowsRepaired:
        relayed = await workflow.execute_activity_method(
            ReconcilerActivities.relay_workflow_starts,
            RelayInput(
                relay_after_seconds=data.relay_after_seconds,
                batch_size=data.batch_size,
                max_failures=data.relay_max_failures,
                task_queues=data.task_queues,
            ),
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=30),
            retry_policy=DB_RETRY,
        )
        repaired = await workflow.execute_activity_method(
            ReconcilerActivities.repair_stuck_rows,
            StuckRowsInput(
                stuck_after_seconds=data.stuck_after_seconds,
                max_restarts=data.max_restarts,
                batch_size=data.batch_size,
            ),
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=30),
            retry_policy=DB_RETRY,
        )
        return repaired.model_copy(update={"relayed": relayed})
