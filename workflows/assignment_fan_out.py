from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.organization_activities import OrganizationActivities
    from studyflow.contracts.workflow_inputs import AssignmentFanOutInput
    from workflows.retry import execute_db_activity


@workflow.defn
class AssignmentFanOutWorkflow:
    """A group's assignment to each of its members, in batches: idempotent (one target per
    assignment and learner, announced once), so a retried batch or a second run changes nothing."""

    @workflow.run
    async def run(self, data: AssignmentFanOutInput) -> int:
        given = 0
        while True:
            batch = await execute_db_activity(OrganizationActivities.fan_out_assignment, data)
            given += batch
            if batch < data.batch_size:
                return given
