"""What the tutor chat passes through Temporal: ids and short texts, never the material itself."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from studyflow.contracts.workflow_inputs import LlmRetry


class ConversationInput(BaseModel):
    conversation_id: uuid.UUID
    idle_timeout_seconds: float = Field(default=1800, gt=0, description="no question for this long closes the run")
    questions_per_run: int = Field(default=50, ge=1, description="then continue-as-new; history lives in Postgres")
    retry: LlmRetry = LlmRetry()


class AskInput(BaseModel):
    """The argument of the `ask` Update; `request_id` is also the Update id."""

    request_id: str = Field(min_length=1, max_length=100)
    question: str


class AnswerRequest(BaseModel):
    conversation_id: uuid.UUID
    request_id: str
    question: str


class CitedExcerpt(BaseModel):
    number: int
    chunk_id: uuid.UUID
    source_id: uuid.UUID | None = None
    course_id: uuid.UUID | None = None
    label: str
    excerpt: str


class TutorAnswer(BaseModel):
    request_id: str
    text: str
    citations: list[CitedExcerpt] = Field(default_factory=list)
    confidence: float
    answerable: bool
    model: str | None = None


class AssessInput(BaseModel):
    conversation_id: uuid.UUID
    request_id: str


class TutorJudgement(BaseModel):
    suggest_tutor: bool = False
    reason: str | None = None
    handoff_id: uuid.UUID | None = None


class TutorReply(TutorAnswer):
    suggest_tutor: bool = False
    tutor_reason: str | None = None
    handoff_id: uuid.UUID | None = None


class ConversationRef(BaseModel):
    conversation_id: uuid.UUID
