from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from studyflow.statuses import ErrorKind, SourceStatus

with workflow.unsafe.imports_passed_through():
    from activities.sources.ingestion_activities import SourceIngestionActivities
    from studyflow.contracts.activity_io import SourceBatch, SourceReadyInput, SourceRef
    from studyflow.contracts.workflow_inputs import SourceIngestionInput
    from workflows.activity_failures import (
        cleaning_up_on_cancel,
        describe_failure,
        is_subject_gone,
        raise_if_cancelled,
        record_failure,
    )
    from workflows.retry import NON_RETRYABLE, execute_db_activity
    from workflows.task_queues import cpu_heavy_queue

CANCELLED = "Reading this source was cancelled."
# Reading and embedding a batch of pages: a crashed worker's attempt is retried after the
# heartbeat timeout; a file that cannot be read is not retried at all.
READ_TIMEOUT = timedelta(minutes=10)
READ_HEARTBEAT = timedelta(seconds=60)
READ_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=3,
    non_retryable_error_types=NON_RETRYABLE,
)


def learner_message(error: ActivityError) -> str:
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type == ErrorKind.source_unreadable:
        return cause.message
    return f"We could not finish reading this source ({describe_failure(error)}). Upload it again to retry."


@workflow.defn
class SourceIngestionWorkflow:
    """Prepare (fetch a URL, count pages) → index the pages in batches (read, chunk, embed) →
    ready. Batches keep each activity short and, with continue-as-new, the history bounded."""

    def __init__(self) -> None:
        self._stage = "starting"

    @workflow.query
    def stage(self) -> str:
        return self._stage

    @workflow.run
    async def run(self, data: SourceIngestionInput) -> str:
        return await cleaning_up_on_cancel(
            self._ingest(data),
            lambda: record_failure(SourceIngestionActivities.mark_source_failed, data.source_id, CANCELLED),
        )

    async def _read_activity(self, activity, argument, data: SourceIngestionInput):
        return await workflow.execute_activity_method(
            activity,
            argument,
            task_queue=cpu_heavy_queue(data.cpu_task_queue, None),
            start_to_close_timeout=READ_TIMEOUT,
            heartbeat_timeout=READ_HEARTBEAT,
            retry_policy=READ_RETRY,
        )

    async def _ingest(self, data: SourceIngestionInput) -> str:
        try:
            units = data.units
            if units is None:
                self._stage = "reading"
                plan = await self._read_activity(
                    SourceIngestionActivities.prepare_source, SourceRef(source_id=data.source_id), data
                )
                if plan.already_ready:
                    return SourceStatus.ready
                units = plan.units
            unit, skipped, batches = data.next_unit, data.skipped_units, 0
            while unit < units:
                if batches == data.batches_per_run:
                    workflow.continue_as_new(
                        data.model_copy(update={"units": units, "next_unit": unit, "skipped_units": skipped})
                    )
                end = min(units, unit + data.batch_units)
                self._stage = f"indexing {unit + 1}-{end} of {units}"
                result = await self._read_activity(
                    SourceIngestionActivities.index_source_batch,
                    SourceBatch(source_id=data.source_id, batch_index=unit // data.batch_units, start=unit, end=end),
                    data,
                )
                skipped += result.skipped
                unit, batches = end, batches + 1
            self._stage = "finishing"
            await execute_db_activity(
                SourceIngestionActivities.mark_source_ready,
                SourceReadyInput(source_id=data.source_id, skipped_units=skipped),
            )
        except ActivityError as error:
            raise_if_cancelled(error)
            if is_subject_gone(error):
                return "gone"
            self._stage = "failed"
            return await record_failure(
                SourceIngestionActivities.mark_source_failed, data.source_id, learner_message(error)
            )
        self._stage = "ready"
        return SourceStatus.ready
