from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import AliasChoices, BaseModel, Field

from studyflow.contracts.llm_drafts import CourseOutlineDraft
from studyflow.contracts.workflow_inputs import OutlineShape


class OutlineRequest(BaseModel):
    course_id: uuid.UUID
    shape: OutlineShape


class GeneratedOutline(BaseModel):
    outline: CourseOutlineDraft
    model: str
    # "extractive": built from the learner's documents; then `sections` holds, per chapter and
    # topic, the ids of the chunks that topic covers (its notes and items are cut from them).
    # Defaults keep histories recorded before these fields replaying unchanged.
    engine: str = "llm"
    sections: list[list[list[str]]] | None = None


class PersistOutlineInput(BaseModel):
    course_id: uuid.UUID
    shape: OutlineShape
    generated: GeneratedOutline | None = None  # None: the LLM gave up, use the manual outline
    llm_error: str | None = None


class PersistOutlineResult(BaseModel):
    course_found: bool
    topics_total: int = 0
    outline_source: str | None = None


class CourseReadyInput(BaseModel):
    course_id: uuid.UUID
    occurred_at: datetime


class TopicRef(BaseModel):
    topic_id: uuid.UUID


class TopicNotesResult(BaseModel):
    # Histories recorded before 2026-11-24 also carry `topic_found`; parsing ignores it.
    status: str | None = None


class FailureInput(BaseModel):
    """What every `mark_*_failed` activity receives: the row that failed and why."""

    # Activities scheduled before the four per-entity inputs became this one name the id after
    # the entity; a worker running this code still accepts them.
    subject_id: uuid.UUID = Field(
        validation_alias=AliasChoices("subject_id", "course_id", "topic_id", "content_id", "plan_id")
    )
    error: str


class CourseRef(BaseModel):
    course_id: uuid.UUID


class ContentRef(BaseModel):
    content_id: uuid.UUID


class BeginResult(BaseModel):
    already_completed: bool


class CacheDecision(BaseModel):
    hit_entry_id: uuid.UUID | None = None
    hit_tier: str | None = None
    near_entry_id: uuid.UUID | None = None
    similarity: float | None = None


class ServeCachedInput(BaseModel):
    content_id: uuid.UUID
    entry_id: uuid.UUID
    served_from: str  # cache_exact | cache_semantic | near_hit_fallback
    similarity: float | None = None
    llm_error: str | None = None


class RetrievedContext(BaseModel):
    chunk_ids: list[uuid.UUID]
    tiers: list[str]


class GenerateStudyContentInput(BaseModel):
    content_id: uuid.UUID
    chunk_ids: list[uuid.UUID] = []


class GenerateStudyContentResult(BaseModel):
    kept: int
    dropped: int


class PlanRef(BaseModel):
    plan_id: uuid.UUID


class WebhookEventRef(BaseModel):
    event_row_id: uuid.UUID


class ClerkEventOutcome(BaseModel):
    # upserted | deleted | ignored (users); organization_upserted | organization_deleted |
    # member_upserted | member_removed | stale (organisations and memberships)
    action: str
    user_id: uuid.UUID | None = None


class UserRef(BaseModel):
    user_id: uuid.UUID


class NudgeCandidate(BaseModel):
    user_id: uuid.UUID
    # streak_at_risk | few_tutoring_sessions | inactive | new_learner | goal (has active goals:
    # nudged only if one is behind)
    reason: str


class GoalRef(BaseModel):
    goal_id: uuid.UUID


class NudgePage(BaseModel):
    day: date | None = None  # None: the day `now` falls on in `timezone`
    now: datetime
    timezone: str
    after_user_id: uuid.UUID | None = None
    limit: int


class NudgeSelection(BaseModel):
    day: date
    candidates: list[NudgeCandidate]


class NudgeBatch(BaseModel):
    day: date
    candidates: list[NudgeCandidate]


class DispatchResult(BaseModel):
    started: int
    backlog: int  # topics queued or generating in the background


# --- source ingestion ---------------------------------------------------------------------
class SourceRef(BaseModel):
    source_id: uuid.UUID


class SourcePlan(BaseModel):
    units: int  # pages of a PDF, sections or transcript segments of anything else
    already_ready: bool = False


class SourceBatch(BaseModel):
    source_id: uuid.UUID
    batch_index: int
    start: int  # first unit, 0-based
    end: int  # one past the last unit


class SourceBatchResult(BaseModel):
    chunks: int
    skipped: int


class SourceReadyInput(BaseModel):
    source_id: uuid.UUID
    skipped_units: int = 0


class RelayInput(BaseModel):
    relay_after_seconds: float
    batch_size: int
    # Relays of one record that may fail before its subject is undone (failed, quota refunded).
    max_failures: int = 10
    task_queues: list[str] = []  # empty: every queue


class StuckRowsInput(BaseModel):
    stuck_after_seconds: float
    max_restarts: int
    batch_size: int


class StuckRowsRepaired(BaseModel):
    relayed: int = 0  # recorded starts the API never made
    restarted: int = 0
    failed: int = 0


class DigestPage(BaseModel):
    day: date | None = None  # None: the day `now` falls on in `timezone`
    now: datetime
    timezone: str
    after_tutor_id: uuid.UUID | None = None
    limit: int


class DigestSelection(BaseModel):
    day: date
    tutor_ids: list[uuid.UUID]


class DigestBatch(BaseModel):
    day: date  # the week digested is the seven days before it
    tutor_ids: list[uuid.UUID]
    inactive_days: int
