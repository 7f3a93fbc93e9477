from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.user_activities import UserActivities
    from studyflow.contracts.activity_io import UserRef, WebhookEventRef
    from studyflow.contracts.workflow_inputs import UserProvisioningInput
    from workflows.retry import DB_RETRY, execute_db_activity


@workflow.defn
class UserProvisioningWorkflow:
    """Apply one Clerk delivery. A deletion first cancels the learner's running work, so nothing
    writes new rows after the erasure."""

    @workflow.run
    async def run(self, data: UserProvisioningInput) -> str:
        outcome = await execute_db_activity(
            UserActivities.apply_clerk_event, WebhookEventRef(event_row_id=data.event_row_id)
        )
        if outcome.action != "deleted" or outcome.user_id is None:
            return outcome.action
        user = UserRef(user_id=outcome.user_id)
        await workflow.execute_activity_method(
            UserActivities.cancel_user_workflows,
            user,
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=30),
            retry_policy=DB_RETRY,
        )
        await execute_db_activity(UserActivities.erase_user_data, user)
        return "deleted"
