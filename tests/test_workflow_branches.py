"""The workflows' branch logic with scripted activities (samples style): each branch in a second,
no database or LLM needed. The activities are stand-ins registered under the real names; the
server is Temporal's time-skipping test server, so retry backoff and timers cost no real time."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from studyflow.contracts.activity_io import (
    BeginResult,
    CacheDecision,
    ContentRef,
    CourseReadyInput,
    CourseRef,
    FailureInput,
    GeneratedOutline,
    GenerateStudyContentInput,
    GenerateStudyContentResult,
    OutlineRequest,
    PersistOutlineInput,
    PersistOutlineResult,
    RetrievedContext,
    ServeCachedInput,
    TopicNotesResult,
    TopicRef,
)
from studyflow.contracts.llm_drafts import CourseOutlineDraft
from studyflow.contracts.workflow_inputs import CourseGenerationInput, LlmRetry, StudyContentInput, TopicNotesInput
from tests.support.time_skipping import time_skipping_environment
from workflows.activity_failures import CANCELLED
from workflows.course_generation import CourseGenerationWorkflow
from workflows.study_content import StudyContentWorkflow
from workflows.topic_notes import TopicNotesWorkflow

ONE_TRY = LlmRetry(max_attempts=1, initial_seconds=0.1, max_seconds=0.1, heartbeat_seconds=5)


class Recorder:
    """Stand-in activities: what each was called with, and scripted answers."""

    def __init__(self) -> None:
        self.calls: dict[str, list] = {}
        self.llm_started = asyncio.Event()
        self.outline_failures_left = 0  # >0: fail (retryably) that many times, then answer

    def record(self, name: str, value) -> None:
        self.calls.setdefault(name, []).append(value)

    def activities(self) -> list:
        @activity.defn(name="generate_outline")
        async def generate_outline(request: OutlineRequest) -> GeneratedOutline:
            self.record("generate_outline", activity.info().attempt)
            if self.outline_failures_left <= 0:
                raise ApplicationError("the model is down", type="LlmUnavailableError", non_retryable=True)
            self.outline_failures_left -= 1
            if self.outline_failures_left == 0:
                return GeneratedOutline(outline=OUTLINE, model="scripted")
            raise ApplicationError("503 from every endpoint", type="LlmUnavailableError")

        @activity.defn(name="persist_outline")
        async def persist_outline(data: PersistOutlineInput) -> PersistOutlineResult:
            self.record("persist_outline", data)
            return PersistOutlineResult(course_found=True, topics_total=3, outline_source="fallback")

        @activity.defn(name="mark_course_ready")
        async def mark_course_ready(data: CourseReadyInput) -> bool:
            self.record("mark_course_ready", data)
            return True

        @activity.defn(name="index_course_outline")
        async def index_course_outline(ref: CourseRef) -> int:
            return 0

        @activity.defn(name="begin_study_content")
        async def begin_study_content(ref: ContentRef) -> BeginResult:
            return BeginResult(already_completed=False)

        @activity.defn(name="lookup_cache")
        async def lookup_cache(ref: ContentRef) -> CacheDecision:
            return CacheDecision(near_entry_id=NEAR_ENTRY, similarity=0.83)

        @activity.defn(name="retrieve_context")
        async def retrieve_context(ref: ContentRef) -> RetrievedContext:
            return RetrievedContext(chunk_ids=[], tiers=[])

        @activity.defn(name="generate_study_content")
        async def generate_study_content(data: GenerateStudyContentInput) -> GenerateStudyContentResult:
            raise ApplicationError("429 from every endpoint", type="LlmUnavailableError")

        @activity.defn(name="serve_cached")
        async def serve_cached(data: ServeCachedInput) -> bool:
            self.record("serve_cached", data)
            return True

        @activity.defn(name="generate_topic_notes")
        async def generate_topic_notes(ref: TopicRef) -> TopicNotesResult:
            self.llm_started.set()
            while True:  # a slow model: heartbeats until the workflow is cancelled
                activity.heartbeat()
                await asyncio.sleep(0.1)

        def mark_failed(name: str):
            @activity.defn(name=name)
            async def mark(data: FailureInput) -> None:
                self.record(name, data)

            return mark

        return [
            generate_outline,
            persist_outline,
            mark_course_ready,
            index_course_outline,
            begin_study_content,
            lookup_cache,
            retrieve_context,
            generate_study_content,
            serve_cached,
            generate_topic_notes,
            mark_failed("mark_course_failed"),
            mark_failed("mark_study_content_failed"),
            mark_failed("mark_topic_failed"),
        ]


NEAR_ENTRY = uuid.uuid4()
OUTLINE = CourseOutlineDraft.model_validate(
    {"title": "SQL", "chapters": [{"title": "Basics", "topics": [{"title": "Joins"}]}]}
)


@pytest.fixture(scope="module")
async def skipping_env():
    async with time_skipping_environment() as env:
        yield env


@pytest.fixture
async def scripted(skipping_env):
    recorder = Recorder()
    queue = f"branches-{uuid.uuid4().hex[:8]}"
    async with Worker(
        skipping_env.client,
        task_queue=queue,
        workflows=[CourseGenerationWorkflow, StudyContentWorkflow, TopicNotesWorkflow],
        activities=recorder.activities(),
    ):
        yield recorder, queue


async def test_an_outline_the_llm_cannot_write_falls_back_to_the_manual_outline(skipping_env, scripted):
    recorder, queue = scripted
    course_id = uuid.uuid4()
    result = await skipping_env.client.execute_workflow(
        CourseGenerationWorkflow.run,
        CourseGenerationInput(course_id=course_id, retry=ONE_TRY),
        id=f"branch-outline-{course_id}",
        task_queue=queue,
    )
    assert result == "ready"
    (persisted,) = recorder.calls["persist_outline"]
    assert persisted.generated is None and "the model is down" in persisted.llm_error
    assert recorder.calls["mark_course_ready"][0].course_id == course_id
    assert "mark_course_failed" not in recorder.calls


async def test_llm_retries_back_off_on_the_workflow_clock_and_then_succeed(skipping_env, scripted):
    recorder, queue = scripted
    recorder.outline_failures_left = 3  # two 503s, then an outline
    patient = LlmRetry(max_attempts=4, initial_seconds=30, max_seconds=60, heartbeat_seconds=5)
    course_id = uuid.uuid4()
    handle = await skipping_env.client.start_workflow(
        CourseGenerationWorkflow.run,
        CourseGenerationInput(course_id=course_id, retry=patient),
        id=f"branch-retry-{course_id}",
        task_queue=queue,
    )
    started = (await handle.describe()).start_time
    assert await handle.result() == "ready"
    assert recorder.calls["generate_outline"] == [1, 2, 3]
    (persisted,) = recorder.calls["persist_outline"]
    assert persisted.generated is not None and persisted.llm_error is None
    # 30 s then 60 s of backoff happened, on the workflow's clock (skipped, not waited).
    waited = recorder.calls["mark_course_ready"][0].occurred_at - started
    assert waited >= timedelta(seconds=90)


async def test_a_failed_llm_with_a_near_hit_serves_the_similar_cached_set(skipping_env, scripted):
    recorder, queue = scripted
    content_id = uuid.uuid4()
    result = await skipping_env.client.execute_workflow(
        StudyContentWorkflow.run,
        StudyContentInput(content_id=content_id, retry=ONE_TRY),
        id=f"branch-near-hit-{content_id}",
        task_queue=queue,
    )
    assert result == "completed"
    (served,) = recorder.calls["serve_cached"]
    assert (served.entry_id, served.served_from, served.similarity) == (NEAR_ENTRY, "near_hit_fallback", 0.83)
    assert "429 from every endpoint" in served.llm_error
    assert "mark_study_content_failed" not in recorder.calls


async def test_a_cancelled_run_marks_its_row_failed_with_the_reason(skipping_env, scripted):
    recorder, queue = scripted
    topic_id = uuid.uuid4()
    handle = await skipping_env.client.start_workflow(
        TopicNotesWorkflow.run,
        TopicNotesInput(topic_id=topic_id, retry=ONE_TRY),
        id=f"branch-cancel-{topic_id}",
        task_queue=queue,
        execution_timeout=timedelta(seconds=60),
    )
    await asyncio.wait_for(recorder.llm_started.wait(), timeout=10)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    assert recorder.calls["mark_topic_failed"] == [FailureInput(subject_id=topic_id, error=CANCELLED)]


def test_failure_inputs_scheduled_by_older_code_still_parse():
    subject = uuid.uuid4()
    for legacy in ("course_id", "topic_id", "content_id", "plan_id"):
        assert FailureInput.model_validate({legacy: str(subject), "error": "boom"}).subject_id == subject
