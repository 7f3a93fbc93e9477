from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, StringConstraints

from api.schemas.api_input import PRINTABLE_PATTERN, ApiInput
from studyflow.free_text.rubric import MAX_ANSWER_CHARS
from studyflow.statuses import AttemptGrading, GenerationStatus, GradeOutcome, ReviewStatus

# Control characters are refused by ApiInput like in any text; the pattern says so in the schema.
AnswerText = Annotated[
    StrictStr, StringConstraints(max_length=MAX_ANSWER_CHARS), Field(json_schema_extra={"pattern": PRINTABLE_PATTERN})
]


class AttemptCreate(ApiInput):
    model_config = ConfigDict(extra="forbid")

    # Strict: `true`, `1.0` and `"1"` are not option indexes (they used to be coerced to 1).
    answers: dict[str, StrictInt | AnswerText] = Field(
        description="question id → index of the chosen option (0-3), or the text of a short answer"
    )
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


class PointFeedback(BaseModel):
    point_id: str
    text: str = Field(description="the rubric point")
    weight: int
    score: float | None = Field(description="0, 0.5 or 1; null until the grade is final")
    quote: str = Field(default="", description="the learner's words that cover the point")
    justification: str = ""


class ShortAnswerFeedback(BaseModel):
    """A free-text answer's grade as the learner sees it."""

    question_id: str
    question: str
    answer: str
    status: ReviewStatus = Field(description="grading, pending_review (waiting for your tutor) or final")
    outcome: GradeOutcome | None = Field(
        description="auto, reviewed (by your tutor), not_reviewed (your tutor did not in time: the automatic "
        "grade stands), no_reviewer (automatic, shown with its uncertainty), failed"
    )
    grader: str | None = Field(description="embedded (no LLM) or llm")
    total: float | None = Field(description="0-1, the weighted share of the rubric covered; null until final")
    confidence: float | None = Field(description="the automatic grade's confidence, 0-1")
    uncertain: bool = Field(description="final without a human while the grader was unsure")
    model_answer: str | None = Field(description="revealed once the grade is final")
    points: list[PointFeedback]
    topic_id: uuid.UUID | None


class AttemptResult(BaseModel):
    attempt_id: uuid.UUID
    quiz_id: uuid.UUID
    score: int = Field(description="items right: multiple choice, and short answers with full marks once graded")
    total: int
    percentage: float = Field(
        description="partial credit for short answers counts; final once grading_status is graded"
    )
    passed: bool
    feedback: list[QuestionFeedback]
    weak_topic_ids: list[uuid.UUID]
    remediation_plan_id: uuid.UUID | None
    created_at: datetime
    grading_status: AttemptGrading = AttemptGrading.graded
    short_answers: list[ShortAnswerFeedback] = Field(default_factory=list)


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
