from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field


class LlmRetry(BaseModel):
    """Retry schedule for LLM-backed activities; chosen by the starter and recorded in history."""

    max_attempts: int = Field(default=4, ge=1)
    initial_seconds: float = Field(default=2.0, gt=0)
    max_seconds: float = Field(default=60.0, gt=0)
    heartbeat_seconds: float = Field(default=30.0, gt=0)

    @property
    def initial_interval(self) -> timedelta:
        return timedelta(seconds=self.initial_seconds)

    @property
    def maximum_interval(self) -> timedelta:
        return timedelta(seconds=self.max_seconds)

    @property
    def heartbeat_timeout(self) -> timedelta:
        return timedelta(seconds=self.heartbeat_seconds)


class OutlineShape(BaseModel):
    chapters: int = Field(default=3, ge=1)
    min_topics: int = Field(default=3, ge=1)
    max_topics: int = Field(default=5, ge=1)


class CourseGenerationInput(BaseModel):
    course_id: uuid.UUID
    shape: OutlineShape = OutlineShape()
    retry: LlmRetry = LlmRetry()
    background_notes: bool = False  # queue every topic's notes for low-priority generation
    background_task_queue: str | None = None  # where indexing runs (None: the workflow's queue)
    cpu_task_queue: str | None = None  # where indexing runs when set (workflows/task_queues.py)


class TopicNotesInput(BaseModel):
    topic_id: uuid.UUID
    retry: LlmRetry = LlmRetry()
    background_task_queue: str | None = None  # where indexing runs (None: the workflow's queue)
    cpu_task_queue: str | None = None  # where indexing runs when set (workflows/task_queues.py)


class StudyContentInput(BaseModel):
    content_id: uuid.UUID
    retry: LlmRetry = LlmRetry()


class RemediationInput(BaseModel):
    plan_id: uuid.UUID
    retry: LlmRetry = LlmRetry()


class SubjectSuggestionsInput(BaseModel):
    goal_id: uuid.UUID
    retry: LlmRetry = LlmRetry()
    # False when the learner's allowance for suggestions is used up: from their history alone.
    llm_allowed: bool = True


class GradingInput(BaseModel):
    """The free-text answers of one attempt. Thresholds and the timeout are decided at the start
    and recorded, so a replay routes as the run did."""

    attempt_id: uuid.UUID
    retry: LlmRetry = LlmRetry()
    # False: the embedded grader alone (no model configured, the bundled one, or the learner's
    # allowance for LLM grading used up).
    llm_allowed: bool = False
    embedded_threshold: float = 0.53
    llm_threshold: float = 0.53
    review_timeout_seconds: float = Field(default=48 * 3600, gt=0)


class UserProvisioningInput(BaseModel):
    event_row_id: uuid.UUID


class NudgeRunInput(BaseModel):
    """Empty from the schedule; continue-as-new carries the day and the paging cursor."""

    timezone: str = "UTC"
    day: date | None = None
    after_user_id: uuid.UUID | None = None
    batch_size: int = Field(default=50, ge=1)
    batches_per_run: int = Field(default=20, ge=1)
    created_so_far: int = 0
    # The nudge batch heartbeats through each LLM call; a worker that dies is replaced this fast.
    heartbeat_seconds: float = Field(default=120.0, gt=0)


class BackgroundDispatchInput(BaseModel):
    retry: LlmRetry = LlmRetry()
    poll_seconds: float = Field(default=1.0, gt=0)


class SourceIngestionInput(BaseModel):
    """From the API: the source and the batch size. Continue-as-new carries the progress."""

    source_id: uuid.UUID
    batch_units: int = Field(default=25, ge=1)
    batches_per_run: int = Field(default=40, ge=1, description="then continue-as-new")
    units: int | None = None  # known after the first run's preparation
    cpu_task_queue: str | None = None  # where reading and embedding run (None: the workflow's queue)
    next_unit: int = 0
    skipped_units: int = 0


class ReconcileInput(BaseModel):
    """One run of the stuck-row reconciler (started by its schedule)."""

    relay_after_seconds: float = 10.0
    relay_max_failures: int = 10
    # The deployment's task queues: its relay starts only what was recorded for them (empty: all).
    task_queues: list[str] = []
    stuck_after_seconds: float = 900.0
    max_restarts: int = 1
    batch_size: int = 100


class AssignmentFanOutInput(BaseModel):
    assignment_id: uuid.UUID
    batch_size: int = 500


class LearnerContextInput(BaseModel):
    organization_id: uuid.UUID
    learner_id: uuid.UUID
    retry: LlmRetry = LlmRetry()
    max_rounds: int = 5  # rewrites while new evidence keeps arriving, then the next start takes over
    template_only: bool = False  # the model failed every attempt: the facts in words


class RollupUnit(BaseModel):
    """One (day, scope) to roll: the learners' day (scope = the nil UUID) or an organisation's."""

    day: date
    scope: uuid.UUID


class AnalyticsRollupInput(BaseModel):
    """From the schedule: nothing (the run plans yesterday, the settle window and dirty days from
    its own start time). From the backfill: the days, and optionally one organisation.
    Continue-as-new carries the units not rolled yet."""

    timezone: str = "UTC"
    settle_days: int = Field(default=3, ge=1)
    churn_days: int = Field(default=14, ge=1)
    first: date | None = None
    last: date | None = None
    organization_id: uuid.UUID | None = None
    units: list[RollupUnit] | None = None
    units_per_run: int = Field(default=200, ge=1)
    rolled_so_far: int = 0


class RollupPlanInput(BaseModel):
    now: datetime
    timezone: str
    settle_days: int
    first: date | None = None
    last: date | None = None
    organization_id: uuid.UUID | None = None


class RollupDayInput(BaseModel):
    unit: RollupUnit
    timezone: str
    churn_days: int


class SessionAnalysisInput(BaseModel):
    session_id: uuid.UUID
    version: int = Field(ge=1)
    retry: LlmRetry = LlmRetry()
    window_words: int = Field(default=600, ge=50)
    # False when the learner's allowance for session analyses is used up: extractive, no model.
    llm_allowed: bool = True
    cpu_task_queue: str | None = None  # where indexing runs (workflows/task_queues.py)


class TutorDigestInput(BaseModel):
    """Empty from the schedule (the run's week ends the day it starts); continue-as-new carries
    the day and the paging cursor."""

    timezone: str = "UTC"
    day: date | None = None
    after_tutor_id: uuid.UUID | None = None
    batch_size: int = Field(default=50, ge=1)
    batches_per_run: int = Field(default=20, ge=1)
    sent_so_far: int = 0
    # A linked learner idle this many days is "at risk" in the digest (the nudges' idea of inactive).
    inactive_days: int = Field(default=3, ge=1)
