from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

from studyflow.statuses import TopicStatus

with workflow.unsafe.imports_passed_through():
    from activities.indexing_activities import IndexingActivities
    from activities.notes_activities import NotesActivities
    from studyflow.contracts.activity_io import TopicRef
    from studyflow.contracts.workflow_inputs import TopicNotesInput
    from workflows.activity_failures import (
        CANCELLED,
        cleaning_up_on_cancel,
        describe_failure,
        is_subject_gone,
        raise_if_cancelled,
        record_failure,
    )
    from workflows.retry import (
        INDEX_RETRY,
        INDEX_TIMEOUT,
        execute_llm_activity,
    )
    from workflows.task_queues import cpu_heavy_queue


@workflow.defn
class TopicNotesWorkflow:
    """Generate one topic's notes; after the last attempt the topic is `failed` with the error."""

    @workflow.run
    async def run(self, data: TopicNotesInput) -> str:
        return await cleaning_up_on_cancel(
            self._generate(data),
            lambda: record_failure(NotesActivities.mark_topic_failed, data.topic_id, CANCELLED),
        )

    async def _generate(self, data: TopicNotesInput) -> str:
        ref = TopicRef(topic_id=data.topic_id)
        try:
            result = await execute_llm_activity(NotesActivities.generate_topic_notes, ref, data.retry)
        except ActivityError as error:
            raise_if_cancelled(error)
            if is_subject_gone(error):
                return "gone"
            await record_failure(NotesActivities.mark_topic_failed, data.topic_id, describe_failure(error))
            return TopicStatus.failed
        if workflow.patched("index-notes-chunks"):
            try:
                await workflow.execute_activity_method(
                    IndexingActivities.index_topic_notes,
                    ref,
                    task_queue=cpu_heavy_queue(data.cpu_task_queue, data.background_task_queue),
                    start_to_close_timeout=INDEX_TIMEOUT,
                    retry_policy=INDEX_RETRY,
                )
            except ActivityError as error:
                raise_if_cancelled(error)
                workflow.logger.warning("notes indexing failed: %s", describe_failure(error))
        return result.status or TopicStatus.completed
