from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.user_activities import UserActivities
    from studyflow.contracts.activity_io import UserRef, WebhookEventRef
    from studyflow.contracts.workflow_inputs import UserProvisioningInput
    from studyflow.statuses import ErrorKind
    from workflows.retry import DB_RETRY, execute_db_activity


@workflow.defn
class UserProvisioningWorkflow:
    """Apply one Clerk delivery. A deletion first cancels the learner's running work, so nothing
    writes new rows after the erasure."""

    @workflow.run
    async def run(self, data: UserProvisioningInput) -> str:
        try:
            outcome = await execute_db_activity(
                UserActivities.apply_clerk_event, WebhookEventRef(event_row_id=data.event_row_id)
            )
        except ActivityError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError) and cause.type == ErrorKind.provider_event_invalid:
                # Unusable data stays unusable: end here with the reason (never retried).
                raise ApplicationError(
                    f"unusable Clerk event: {cause.message}", type=cause.type, non_retryable=True
                ) from None
            raise
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
