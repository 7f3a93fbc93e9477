from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.api_input import ApiInput
from api.schemas.sources import Citation
from studyflow.content_rules.quality_gate import QualityReport
from studyflow.statuses import GenerationStatus, StudyContentType


class StudyContentCreate(ApiInput):
    # A plain string so an unknown type is the contract's 400 naming the choices, not a 422.
    type: str = Field(
        description="flashcards or quiz (case-insensitive)",
        json_schema_extra={
            "pattern": "^[ \\t\\n\\r]*([Ff][Ll][Aa][Ss][Hh][Cc][Aa][Rr][Dd][Ss]|[Qq][Uu][Ii][Zz])[ \\t\\n\\r]*$"
        },
    )


class StudyContentAccepted(BaseModel):
    id: uuid.UUID
    type: StudyContentType
    status: GenerationStatus
    workflow_id: str | None
    status_url: str


class QuizQuestionView(BaseModel):
    """A question as a learner sees it before attempting: no answer, no explanation (and for a
    short-answer item no model answer and no rubric)."""

    id: str
    kind: Literal["multiple_choice", "short_answer"] = Field(
        default="multiple_choice", description="short_answer: answered in the learner's own words (text)"
    )
    question: str
    options: list[str] = Field(default_factory=list, description="empty for a short-answer item")
    topic_id: uuid.UUID | None
    topic_title: str | None
    citations: list[Citation] = Field(default_factory=list, description="where in your sources it comes from")
    quality_flags: list[str] = Field(
        default_factory=list, description="checks it did not pass but that do not drop an item (ungrounded)"
    )


class FlashcardView(BaseModel):
    id: str
    front: str
    back: str
    topic_id: uuid.UUID | None
    topic_title: str | None
    citations: list[Citation] = Field(default_factory=list, description="where in your sources it comes from")
    quality_flags: list[str] = Field(
        default_factory=list, description="checks it did not pass but that do not drop an item (ungrounded)"
    )


class NearHitNotice(BaseModel):
    similarity: float | None
    cached_request: str
    reason: str


class StudyContentView(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    type: StudyContentType
    status: GenerationStatus
    served_from: str | None = Field(description="llm, cache_exact, cache_semantic or near_hit_fallback")
    model: str | None = Field(description="model that produced the content")
    error: str | None
    retry_count: int
    updated_at: datetime | None = Field(default=None, description="when the status last changed")
    questions: list[QuizQuestionView] | None = None
    cards: list[FlashcardView] | None = None
    near_hit: NearHitNotice | None = Field(
        default=None, description="set when a similar cached set was served because the LLM failed"
    )
    quality: QualityReport | None = Field(
        default=None, description="what the quality gate checked, repaired and dropped (sets the LLM wrote)"
    )
