"""GradingWorkflow's branches with stand-in activities on Temporal's time-skipping test server:
a routed answer waits for the review Update; with none within the timeout (48 hours, skipped) the
automatic grade is finalised; the validator refuses malformed grades and late ones."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Worker

from studyflow.contracts.grading_io import (
    AttemptRef,
    GradeAttemptInput,
    RecordReviewInput,
    ReviewInput,
    ReviewResult,
    Routed,
)
from studyflow.contracts.workflow_inputs import GradingInput, LlmRetry
from tests.support.time_skipping import time_skipping_environment
from workflows.grading import GradingWorkflow

ONE_TRY = LlmRetry(max_attempts=1, initial_seconds=0.1, max_seconds=0.1, heartbeat_seconds=5)
TWO_DAYS = 48 * 3600


class Stand:
    def __init__(self, pending: list[str]) -> None:
        self.pending = pending
        self.calls: list[str] = []

    def activities(self) -> list:
        @activity.defn(name="grade_and_route")
        async def grade_and_route(data: GradeAttemptInput) -> Routed:
            self.calls.append("grade_and_route")
            return Routed(pending=self.pending)

        @activity.defn(name="record_review")
        async def record_review(data: RecordReviewInput) -> ReviewResult:
            self.calls.append(f"record_review:{data.item_id}")
            return ReviewResult(item_id=data.item_id, outcome="reviewed", total=1.0, scores=data.scores)

        @activity.defn(name="finalize_unreviewed")
        async def finalize_unreviewed(ref: AttemptRef) -> int:
            self.calls.append("finalize_unreviewed")
            return 1

        @activity.defn(name="complete_attempt_grading")
        async def complete_attempt_grading(ref: AttemptRef) -> bool:
            self.calls.append("complete_attempt_grading")
            return True

        return [grade_and_route, record_review, finalize_unreviewed, complete_attempt_grading]


@pytest.fixture(scope="module")
async def skipping_env():
    async with time_skipping_environment() as env:
        yield env


async def _run(env, stand: Stand):
    queue = f"grading-{uuid.uuid4().hex[:8]}"
    worker = Worker(env.client, task_queue=queue, workflows=[GradingWorkflow], activities=stand.activities())
    attempt_id = uuid.uuid4()
    data = GradingInput(attempt_id=attempt_id, retry=ONE_TRY, review_timeout_seconds=TWO_DAYS)
    return worker, queue, data


async def _routed(handle, items: list[str]) -> None:
    for _ in range(200):
        if await handle.query(GradingWorkflow.pending) == items:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the answer was never routed")


async def test_with_no_review_the_automatic_grade_stands_after_the_timeout(skipping_env):
    stand = Stand(pending=["s1"])
    worker, queue, data = await _run(skipping_env, stand)
    async with worker:
        handle = await skipping_env.client.start_workflow(
            GradingWorkflow.run, data, id=f"grading-{data.attempt_id}", task_queue=queue
        )
        started = (await handle.describe()).start_time
        assert await handle.result() == "graded"
        closed = (await handle.describe()).close_time
    assert stand.calls == ["grade_and_route", "finalize_unreviewed", "complete_attempt_grading"]
    assert closed - started >= timedelta(seconds=TWO_DAYS)  # on the workflow's clock, skipped


async def test_the_review_update_completes_a_waiting_answer_and_refuses_bad_or_late_grades(skipping_env):
    stand = Stand(pending=["s1", "s2"])
    worker, queue, data = await _run(skipping_env, stand)
    async with worker:
        handle = await skipping_env.client.start_workflow(
            GradingWorkflow.run, data, id=f"grading-{data.attempt_id}", task_queue=queue
        )
        await _routed(handle, ["s1", "s2"])
        reviewer = uuid.uuid4()
        for bad in (
            ReviewInput(item_id="s1", reviewer_id=reviewer, scores={"p1": 0.7}),
            ReviewInput(item_id="s1", reviewer_id=reviewer, scores={}),
            ReviewInput(item_id="s9", reviewer_id=reviewer, scores={"p1": 1}),
        ):
            with pytest.raises(WorkflowUpdateFailedError):
                await handle.execute_update(GradingWorkflow.review, bad)
        done = await handle.execute_update(
            GradingWorkflow.review, ReviewInput(item_id="s1", reviewer_id=reviewer, scores={"p1": 1, "p2": 0.5})
        )
        assert done.outcome == "reviewed"
        assert await handle.query(GradingWorkflow.pending) == ["s2"]
        # The same item twice is refused: it is no longer waiting.
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                GradingWorkflow.review, ReviewInput(item_id="s1", reviewer_id=reviewer, scores={"p1": 1})
            )
        await handle.execute_update(
            GradingWorkflow.review, ReviewInput(item_id="s2", reviewer_id=reviewer, scores={"p1": 0})
        )
        assert await handle.result() == "graded"
    assert stand.calls == ["grade_and_route", "record_review:s1", "record_review:s2", "complete_attempt_grading"]


async def test_confident_grades_need_no_wait(skipping_env):
    stand = Stand(pending=[])
    worker, queue, data = await _run(skipping_env, stand)
    async with worker:
        result = await skipping_env.client.execute_workflow(
            GradingWorkflow.run, data, id=f"grading-{data.attempt_id}", task_queue=queue
        )
    assert result == "graded"
    assert stand.calls == ["grade_and_route", "complete_attempt_grading"]
