from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.background_activities import BackgroundActivities
    from studyflow.contracts.workflow_inputs import BackgroundDispatchInput
    from workflows.retry import execute_db_activity

ROUNDS_BEFORE_CONTINUE = 500


@workflow.defn
class BackgroundNotesDispatcherWorkflow:
    """One per namespace. Feeds the background queue from the database backlog within the
    concurrency caps; woken by a signal when a course is queued, and polls while work remains."""

    def __init__(self) -> None:
        self._woken = False

    @workflow.signal
    def wake(self) -> None:
        self._woken = True

    @workflow.run
    async def run(self, data: BackgroundDispatchInput) -> None:
        for _ in range(ROUNDS_BEFORE_CONTINUE):
            self._woken = False
            result = await execute_db_activity(BackgroundActivities.dispatch_background_topics, data)
            if result.backlog == 0 and not self._woken:
                return  # all done: the next queued course starts a new run
            # Slots free up as generations finish (about one LLM call each): poll at that pace.
            wait = data.poll_seconds
            try:
                await workflow.wait_condition(lambda: self._woken, timeout=timedelta(seconds=wait))
            except TimeoutError:
                pass
        workflow.continue_as_new(data)
