from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from api.schemas.api_input import ApiInput
from studyflow.statuses import GenerationStatus


class AttemptCreate(ApiInput):
    model_config = ConfigDict(extra="forbid")

    # Strict: `true`, `1.0` and `"1"` are not option indexes (they used to be coerced to 1).
    answers: dict[str, StrictInt] = Field(description="question id → index of the chosen option (0-3)")
    duration_seconds: int = Field(default=0, ge=0, le=24 * 3600)


class AnswerCheck(ApiInput):
    question_id: str = Field(max_length=100)
    # An integer as JSON Schema means it (2.0 is 2): checking an answer records nothing.
    selected_index: int = Field(ge=0, le=3)


class QuestionFeedback(BaseModel):
    question_id: str
    selected_index: int | None
    correct_index: int
    correct: bool
    explanation: str
    key_points: list[str]
    topic_id: uuid.UUID | None


class AttemptResult(BaseModel):
    attempt_id: uuid.UUID
    quiz_id: uuid.UUID
    score: int
    total: int
    percentage: float
    passed: bool
    feedback: list[QuestionFeedback]
    weak_topic_ids: list[uuid.UUID]
    remediation_plan_id: uuid.UUID | None
    created_at: datetime


class PlanStatus(BaseModel):
    id: uuid.UUID
    status: GenerationStatus


class WeakAttempt(BaseModel):
    attempt_id: uuid.UUID
    quiz_id: uuid.UUID
    course_id: uuid.UUID | None
    percentage: float
    weak_topic_ids: list[uuid.UUID]
    created_at: datetime
    remediation: PlanStatus | None


class TopicMasteryView(BaseModel):
    topic_id: uuid.UUID
    topic_title: str
    course_id: uuid.UUID
    mastery: float = Field(description="Bayesian Knowledge Tracing P(mastered), 0-1")
    answers: int
    correct: int


class WeakAreas(BaseModel):
    attempts: list[WeakAttempt]
    weakest_topics: list[TopicMasteryView]


class PracticeQuestion(BaseModel):
    question: str
    options: list[str]
    answer_index: int
    explanation: str
    key_points: list[str]


class RemediationSection(BaseModel):
    topic_id: uuid.UUID
    topic_title: str
    explanation: str
    key_points: list[str]
    practice_questions: list[PracticeQuestion]
    model: str | None = None


class RemediationView(BaseModel):
    id: uuid.UUID
    quiz_attempt_id: uuid.UUID
    course_id: uuid.UUID
    status: GenerationStatus
    error: str | None
    retry_count: int
    topics: list[RemediationSection]
