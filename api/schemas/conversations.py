from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.api_input import ApiInput
from studyflow.statuses import ConversationStatus


class ConversationCreate(ApiInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    course_id: uuid.UUID | None = Field(
        default=None, description="answer from this course and its sources only (default: all your material)"
    )
    title: str | None = Field(default=None, min_length=1, max_length=200)


class QuestionCreate(ApiInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # No pattern of its own: the printable-text pattern every ApiInput string gets already says
    # that a question of only spaces is no question, and it names the refused control characters.
    question: str = Field(min_length=1, max_length=2000)
    request_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="repeat a request with the same id and it is answered once (default: a new id)",
    )


class CitationView(BaseModel):
    number: int
    chunk_id: uuid.UUID
    source_id: uuid.UUID | None
    course_id: uuid.UUID | None
    label: str = Field(description='e.g. "lecture-3.pdf, p. 12"')
    excerpt: str


class MessageView(BaseModel):
    id: uuid.UUID
    request_id: str
    role: str = Field(description="learner or tutor")
    text: str
    citations: list[CitationView] = Field(default_factory=list)
    confidence: float | None
    answerable: bool | None
    suggest_tutor: bool
    tutor_reason: str | None
    handoff_id: uuid.UUID | None
    created_at: datetime


class ConversationView(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID | None
    title: str
    status: ConversationStatus = Field(
        description="open, or idle when its run closed after a quiet spell (a question reopens it)"
    )
    workflow_id: str
    created_at: datetime
    messages: list[MessageView] = Field(default_factory=list)


class ConversationSummary(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID | None
    title: str
    status: ConversationStatus
    created_at: datetime


class ConversationList(BaseModel):
    items: list[ConversationSummary]


class QuestionAccepted(BaseModel):
    request_id: str
    status: str = Field(description="answering: the answer streams on GET /v1/events (kind `answer`)")
    conversation_url: str


class TutorReplyView(BaseModel):
    request_id: str
    text: str
    citations: list[CitationView]
    confidence: float
    answerable: bool
    suggest_tutor: bool
    tutor_reason: str | None
    handoff_id: uuid.UUID | None


class TutorHandoffView(BaseModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    reason: str
    summary: dict = Field(description="recent questions, weak topics with mastery, practice history")
    created_at: datetime
    updated_at: datetime
