from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

from studyflow.statuses import GenerationStatus

with workflow.unsafe.imports_passed_through():
    from activities.remediation_activities import RemediationActivities
    from studyflow.contracts.activity_io import PlanRef
    from studyflow.contracts.workflow_inputs import RemediationInput
    from workflows.activity_failures import (
        CANCELLED,
        cleaning_up_on_cancel,
        describe_failure,
        is_subject_gone,
        raise_if_cancelled,
        record_failure,
    )
    from workflows.retry import execute_llm_activity


@workflow.defn
class RemediationWorkflow:
    """A plan for a low-score attempt: per weak topic an explanation, key points and practice."""

    @workflow.run
    async def run(self, data: RemediationInput) -> str:
        return await cleaning_up_on_cancel(self._generate(data), lambda: self._fail(data, CANCELLED))

    async def _fail(self, data: RemediationInput, error: str) -> str:
        return await record_failure(RemediationActivities.mark_remediation_failed, data.plan_id, error)

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
            return GenerationStatus.failed
        return GenerationStatus.completed
