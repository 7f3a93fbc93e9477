from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

from studyflow.statuses import ErrorKind, GenerationStatus, SessionStatus

with workflow.unsafe.imports_passed_through():
    from activities.session_activities import SessionActivities
    from studyflow import workflow_ids
    from studyflow.contracts.session_io import PracticeOutcome, SessionReadInput, SessionRef, WindowRef
    from studyflow.contracts.workflow_inputs import SessionAnalysisInput, StudyContentInput
    from workflows.activity_failures import (
        cleaning_up_on_cancel,
        describe_failure,
        is_subject_gone,
        raise_if_cancelled,
        record_failure,
    )
    from workflows.retry import INDEX_RETRY, NON_RETRYABLE, execute_db_activity, execute_llm_activity
    from workflows.study_content import StudyContentWorkflow
    from workflows.task_queues import cpu_heavy_queue

CANCELLED = "Analysing this session was cancelled."
WINDOWS_AT_ONCE = 4  # windows asked of the model concurrently (each is its own activity)
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
    return f"We could not finish analysing this session ({describe_failure(error)}). Correct it or upload it again."


@workflow.defn
class SessionAnalysisWorkflow:
    """One version of a session's analysis: read and tell the speakers apart → index the
    transcript as the learner's material → insights window by window (one activity each: a
    two-hour session fits a small model's context) → merge, validate the evidence, persist → a
    practice course aimed at the gaps → mastery evidence → quiz and cards (StudyContentWorkflow,
    through the quality gate) → assigned → announced. Progress is the session's `stage`."""

    def __init__(self) -> None:
        self._stage = "starting"

    @workflow.query
    def stage(self) -> str:
        return self._stage

    @workflow.run
    async def run(self, data: SessionAnalysisInput) -> str:
        return await cleaning_up_on_cancel(
            self._analyse(data),
            lambda: record_failure(SessionActivities.mark_session_failed, data.session_id, CANCELLED),
        )

    async def _analyse(self, data: SessionAnalysisInput) -> str:
        ref = SessionRef(session_id=data.session_id, version=data.version)
        try:
            self._stage = "reading"
            plan = await workflow.execute_activity_method(
                SessionActivities.read_session,
                SessionReadInput(**ref.model_dump(), window_words=data.window_words, llm_allowed=data.llm_allowed),
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=READ_RETRY,
            )
            if plan.already_done:
                return "done"
            self._stage = "indexing"
            await workflow.execute_activity_method(
                SessionActivities.index_session,
                ref,
                task_queue=cpu_heavy_queue(data.cpu_task_queue, None),
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(seconds=60),
                retry_policy=INDEX_RETRY,
            )
            for first in range(0, plan.windows, WINDOWS_AT_ONCE):
                batch = range(first, min(plan.windows, first + WINDOWS_AT_ONCE))
                self._stage = f"analysing parts {batch[0] + 1}-{batch[-1] + 1} of {plan.windows}"
                await asyncio.gather(*(self._window(data, ref, i, plan.windows) for i in batch))
            self._stage = "checking evidence"
            await execute_db_activity(SessionActivities.persist_analysis, ref)
            self._stage = "making practice"
            practice = await execute_db_activity(SessionActivities.plan_practice, ref)
            self._stage = "updating mastery"
            await execute_db_activity(SessionActivities.apply_mastery, ref)
        except ActivityError as error:
            raise_if_cancelled(error)
            if is_subject_gone(error):
                return "gone"
            self._stage = "failed"
            await record_failure(SessionActivities.mark_session_failed, data.session_id, learner_message(error))
            return SessionStatus.failed

        # Practice failing does not fail the analysis: the tutor still gets it, and is told.
        outcome = PracticeOutcome(**ref.model_dump(), quiz_ready=False, flashcards_ready=False)
        if practice.quiz_id is not None:
            self._stage = "making practice"
            results = await asyncio.gather(
                *(self._practice(content_id, data) for content_id in (practice.quiz_id, practice.flashcards_id))
            )
            errors = [r for r in results if r not in (GenerationStatus.completed, "gone")]
            outcome = outcome.model_copy(
                update={
                    "quiz_ready": results[0] == GenerationStatus.completed,
                    "flashcards_ready": results[1] == GenerationStatus.completed,
                    "error": "; ".join(errors) or None,
                }
            )
        try:
            self._stage = "assigning practice"
            await execute_db_activity(SessionActivities.assign_practice, outcome)
            await execute_db_activity(SessionActivities.finish_session, ref)
        except ActivityError as error:
            raise_if_cancelled(error)
            if is_subject_gone(error):
                return "gone"
            raise
        self._stage = "ready"
        return SessionStatus.ready

    async def _window(self, data: SessionAnalysisInput, ref: SessionRef, index: int, windows: int) -> None:
        window = WindowRef(**ref.model_dump(), window_index=index, windows=windows, window_words=data.window_words)
        try:
            await execute_llm_activity(SessionActivities.analyse_window, window, data.retry)
        except ActivityError as error:
            raise_if_cancelled(error)
            if is_subject_gone(error):
                raise
            # The model failed every attempt on this window: it is read without one (marked so).
            workflow.logger.warning("window %d from the transcript alone: %s", index, describe_failure(error))
            await execute_db_activity(SessionActivities.analyse_window, window.model_copy(update={"extractive": True}))

    async def _practice(self, content_id, data: SessionAnalysisInput) -> str:
        try:
            return await workflow.execute_child_workflow(
                StudyContentWorkflow.run,
                StudyContentInput(content_id=content_id, retry=data.retry),
                id=workflow_ids.study_content(content_id),
            )
        except ChildWorkflowError as error:
            return f"practice could not be made ({error.cause or error})"
