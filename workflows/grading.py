from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.grading.grading_activities import GradingActivities
    from studyflow.contracts.grading_io import (
        AttemptRef,
        GradeAttemptInput,
        RecordReviewInput,
        ReviewInput,
        ReviewResult,
    )
    from studyflow.contracts.workflow_inputs import GradingInput
    from studyflow.free_text.rubric import POINT_SCORES
    from workflows.activity_failures import is_subject_gone, raise_if_cancelled
    from workflows.retry import LLM_TIMEOUT, NON_RETRYABLE, execute_db_activity


@workflow.defn
class GradingWorkflow:
    """The free-text answers of one quiz attempt. Each is graded automatically (the embedded
    grader, and the LLM grader when allowed); a confident grade is final at once, an uncertain
    one waits for the learner's reviewer — a `review` Update — until the timeout, after which the
    automatic grade stands, marked not reviewed. Then the attempt's score counts them all."""

    @workflow.init
    def __init__(self, data: GradingInput) -> None:
        self._data = data
        self._pending: set[str] = set()
        self._closed = False

    @workflow.run
    async def run(self, data: GradingInput) -> str:
        ref = AttemptRef(attempt_id=data.attempt_id)
        try:
            # The model's failures are handled inside (the embedded grade stands in); what is left
            # is the database, retried until it answers: a grade is never left half-made.
            routed = await workflow.execute_activity_method(
                GradingActivities.grade_and_route,
                GradeAttemptInput(
                    attempt_id=data.attempt_id,
                    llm_allowed=data.llm_allowed,
                    embedded_threshold=data.embedded_threshold,
                    llm_threshold=data.llm_threshold,
                ),
                start_to_close_timeout=LLM_TIMEOUT,
                heartbeat_timeout=data.retry.heartbeat_timeout,
                retry_policy=RetryPolicy(
                    initial_interval=data.retry.initial_interval,
                    maximum_interval=data.retry.maximum_interval,
                    non_retryable_error_types=NON_RETRYABLE,
                ),
            )
        except ActivityError as error:
            raise_if_cancelled(error)
            if is_subject_gone(error):
                return "gone"
            raise
        self._pending = set(routed.pending)
        if self._pending:
            try:
                await workflow.wait_condition(
                    lambda: not self._pending, timeout=timedelta(seconds=data.review_timeout_seconds)
                )
            except TimeoutError:
                # No review is accepted from here on; one already being recorded finishes first.
                self._closed = True
                await workflow.wait_condition(workflow.all_handlers_finished)
                await execute_db_activity(GradingActivities.finalize_unreviewed, ref)
        self._closed = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        await execute_db_activity(GradingActivities.complete_attempt_grading, ref)
        return "graded"

    @workflow.query
    def pending(self) -> list[str]:
        """Items waiting for their reviewer (for operators, and tests)."""
        return sorted(self._pending)

    @workflow.update
    async def review(self, grade: ReviewInput) -> ReviewResult:
        result = await execute_db_activity(
            GradingActivities.record_review,
            RecordReviewInput(attempt_id=self._data.attempt_id, **grade.model_dump()),
        )
        self._pending.discard(grade.item_id)
        return result

    @review.validator
    def _check_review(self, grade: ReviewInput) -> None:
        # Who may grade is the API's to check (the assigned reviewer); the shape is checked here.
        if self._closed:
            raise ValueError("the review window has closed: the automatic grade stands")
        if grade.item_id not in self._pending:
            raise ValueError(f"item {grade.item_id} is not waiting for a review")
        if not grade.scores:
            raise ValueError("a grade needs a score per rubric point")
        if bad := sorted(k for k, v in grade.scores.items() if v not in POINT_SCORES):
            raise ValueError(f"scores must be 0, 0.5 or 1 (point(s) {', '.join(bad)})")
