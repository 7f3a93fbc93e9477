from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.organization_activities import OrganizationActivities
    from studyflow.contracts.workflow_inputs import LearnerContextInput
    from workflows.activity_failures import describe_failure, raise_if_cancelled
    from workflows.retry import execute_db_activity, execute_llm_activity


@workflow.defn
class LearnerContextWorkflow:
    """Writes what a tutor reads before a session with a learner, again while new evidence keeps
    arriving (bounded: the next evidence starts it anew). When the model fails every attempt the
    summary is the facts in words (`template`)."""

    @workflow.run
    async def run(self, data: LearnerContextInput) -> str:
        for _ in range(data.max_rounds):
            try:
                again = await execute_llm_activity(OrganizationActivities.write_learner_context, data, data.retry)
            except ActivityError as error:
                raise_if_cancelled(error)
                workflow.logger.warning("learner context from its facts alone: %s", describe_failure(error))
                data = data.model_copy(update={"template_only": True})
                again = await execute_db_activity(OrganizationActivities.write_learner_context, data)
            if not again:
                return "written"
        return "written"
