from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.nudge_activities import NudgeActivities
    from studyflow.contracts.activity_io import NudgeBatch, NudgePage
    from studyflow.contracts.workflow_inputs import NudgeRunInput
    from workflows.retry import DB_RETRY, execute_db_activity


@workflow.defn
class EngagementNudgesWorkflow:
    """Daily: page through learners at risk and write at most one nudge per learner per day.
    After a bounded number of batches it continues as new, so history stays small however many
    learners there are."""

    @workflow.run
    async def run(self, data: NudgeRunInput) -> int:
        created, cursor, day = data.created_so_far, data.after_user_id, data.day
        for _ in range(data.batches_per_run):
            selection = await execute_db_activity(
                NudgeActivities.select_nudge_candidates,
                NudgePage(
                    day=day, now=workflow.now(), timezone=data.timezone, after_user_id=cursor, limit=data.batch_size
                ),
            )
            day = selection.day
            if not selection.candidates:
                return created
            created += await workflow.execute_activity_method(
                NudgeActivities.send_nudges,
                NudgeBatch(day=day, candidates=selection.candidates),
                start_to_close_timeout=timedelta(minutes=30),
                heartbeat_timeout=timedelta(seconds=data.heartbeat_seconds),
                retry_policy=DB_RETRY,
            )
            cursor = selection.candidates[-1].user_id
        workflow.continue_as_new(
            data.model_copy(update={"day": day, "after_user_id": cursor, "created_so_far": created})
        )
