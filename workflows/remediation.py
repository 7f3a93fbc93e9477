from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.remediation_activities import RemediationActivities
    from studyflow.contracts.activity_io import PlanFailureInput, PlanRef
    from studyflow.contracts.workflow_inputs import RemediationInput
    from workflows.activity_failures import (
        CANCELLED,
        cleaning_up_on_cancel,
        describe_failure,
        is_subject_gone,
        raise_if_cancelled,
    )
    from workflows.retry import DB_RETRY, DB_TIMEOUT, execute_llm_activity


@workflow.defn
class RemediationWorkflow:
    """A plan for a low-score attempt: per weak topic an explanation, key points and practice."""

    @workflow.run
    async def run(self, data: RemediationInput) -> str:
        return await cleaning_up_on_cancel(self._generate(data), lambda: self._fail(data, CANCELLED))

    async def _fail(self, data: RemediationInput, error: str) -> None:
        await workflow.execute_activity_method(
            RemediationActivities.mark_remediation_failed,
            PlanFailureInput(plan_id=data.plan_id, error=error),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_RETRY,
        )

    async def _generate(self, data: RemediationInput) -> str:
        try:
            await execute_llm_activity(
                RemediationActivities.generate_remediation_plan, PlanRef(plan_id=data.plan_id), data.retry
            )
        except ActivityError as error:
            raise_if_cancelled(error)
            if is_subject_gone(error):
                return "gone"
            await self._fail(data, describe_failure(error))
            return "failed"
        return "completed"
