"""Running the stuck-row reconciler once, as its schedule would, for one test's stack: its relay
starts only what was recorded for that stack's task queues."""

from __future__ import annotations

import uuid

from studyflow.contracts.activity_io import StuckRowsRepaired
from studyflow.contracts.workflow_inputs import ReconcileInput
from workflows.reconciler import StuckRowReconcilerWorkflow

# Rows the stuck-row tests backdate are an hour old; every other test's rows are younger than this.
STUCK_AFTER = 1800


async def reconcile(temporal_env, settings, **overrides) -> StuckRowsRepaired:
    data = ReconcileInput(
        **{
            "relay_after_seconds": 3600,
            "stuck_after_seconds": STUCK_AFTER,
            "task_queues": [settings.task_queue_interactive, settings.task_queue_background],
            **overrides,
        }
    )
    return await temporal_env.client.execute_workflow(
        StuckRowReconcilerWorkflow.run,
        data,
        id=f"reconcile-test-{uuid.uuid4().hex[:8]}",
        task_queue=settings.task_queue_interactive,
    )
