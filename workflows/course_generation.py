from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

from studyflow.statuses import CourseStatus

with workflow.unsafe.imports_passed_through():
    from activities.background_activities import BackgroundActivities
    from activities.course_activities import CourseActivities
    from activities.indexing_activities import IndexingActivities
    from studyflow.contracts.activity_io import (
        CourseReadyInput,
        CourseRef,
        GeneratedOutline,
        OutlineRequest,
        PersistOutlineInput,
    )
    from studyflow.contracts.workflow_inputs import CourseGenerationInput
    from workflows.activity_failures import (
        CANCELLED,
        cleaning_up_on_cancel,
        describe_failure,
        is_subject_gone,
        raise_if_cancelled,
        record_failure,
    )
    from workflows.retry import (
        DB_TIMEOUT,
        INDEX_RETRY,
        INDEX_TIMEOUT,
        execute_db_activity,
        execute_llm_activity,
    )
    from workflows.task_queues import cpu_heavy_queue


@workflow.defn
class CourseGenerationWorkflow:
    """Outline (LLM, or the manual outline when it fails) → one-transaction persist → ready."""

    def __init__(self) -> None:
        self._stage = "starting"

    @workflow.query
    def stage(self) -> str:
        return self._stage

    @workflow.run
    async def run(self, data: CourseGenerationInput) -> str:
        return await cleaning_up_on_cancel(
            self._generate(data),
            lambda: record_failure(CourseActivities.mark_course_failed, data.course_id, CANCELLED),
        )

    async def _generate(self, data: CourseGenerationInput) -> str:
        self._stage = "outline"
        generated: GeneratedOutline | None = None
        llm_error: str | None = None
        try:
            generated = await execute_llm_activity(
                CourseActivities.generate_outline,
                OutlineRequest(course_id=data.course_id, shape=data.shape),
                data.retry,
            )
        except ActivityError as error:
            raise_if_cancelled(error)
            if is_subject_gone(error):
                return "gone"
            llm_error = describe_failure(error)
            workflow.logger.warning("outline LLM gave up, using the manual outline: %s", llm_error)

        self._stage = "saving"
        try:
            saved = await execute_db_activity(
                CourseActivities.persist_outline,
                PersistOutlineInput(
                    course_id=data.course_id, shape=data.shape, generated=generated, llm_error=llm_error
                ),
            )
            if not saved.course_found:
                return "gone"
            await execute_db_activity(
                CourseActivities.mark_course_ready,
                CourseReadyInput(course_id=data.course_id, occurred_at=workflow.now()),
            )
        except ActivityError as error:
            raise_if_cancelled(error)
            self._stage = "failed"
            await record_failure(CourseActivities.mark_course_failed, data.course_id, describe_failure(error))
            return CourseStatus.failed
        if workflow.patched("index-outline-chunks"):
            self._stage = "indexing"
            try:
                await workflow.execute_activity_method(
                    IndexingActivities.index_course_outline,
                    CourseRef(course_id=data.course_id),
                    # Nobody waits on indexing: keep it off the interactive slots and process.
                    task_queue=cpu_heavy_queue(data.cpu_task_queue, data.background_task_queue),
                    start_to_close_timeout=INDEX_TIMEOUT,
                    retry_policy=INDEX_RETRY,
                )
            except ActivityError as error:
                raise_if_cancelled(error)
                workflow.logger.warning("outline indexing failed: %s", describe_failure(error))
        if data.background_notes and workflow.patched("background-notes"):
            try:
                await workflow.execute_activity_method(
                    BackgroundActivities.enqueue_course_notes,
                    CourseRef(course_id=data.course_id),
                    start_to_close_timeout=DB_TIMEOUT,
                    retry_policy=INDEX_RETRY,
                )
            except ActivityError as error:
                raise_if_cancelled(error)
                workflow.logger.warning("background notes not queued: %s", describe_failure(error))
        self._stage = "ready"
        return CourseStatus.ready
