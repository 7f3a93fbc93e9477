from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from api.schemas.api_input import TOPIC_PATTERN, ApiInput, document_printable_text, refuse_unprintable
from api.schemas.study_content import StudyContentType
from api.schemas.topics import TopicSummary
from studyflow.statuses import CourseStatus, GenerationStatus


class CourseType(StrEnum):
    practical = "practical"
    theoretical = "theoretical"
    exam_prep = "exam_prep"
    overview = "overview"


class Difficulty(StrEnum):
    beginner = "beginner"
    intermediate = "intermediate"
    advanced = "advanced"


class CoursePreferences(ApiInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    goals: str | None = Field(default=None, max_length=500)
    learning_style: str | None = Field(default=None, max_length=100)
    language: str = Field(default="en", min_length=2, max_length=16)


def _course_create_schema(schema: dict) -> None:
    document_printable_text(schema)
    # The rule `_topic_or_sources` enforces, stated in the document.
    schema["anyOf"] = [
        {"required": ["topic"], "properties": {"topic": {"type": "string"}}},
        {"required": ["source_ids"], "properties": {"source_ids": {"minItems": 1}}},
    ]


class CourseCreate(ApiInput):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=lambda schema, _: _course_create_schema(schema)
    )

    # Before `topic`: its validator reads whether sources were given.
    source_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=10,
        description="build the course from these ready sources of yours (their order is kept)",
    )
    topic: str | None = Field(
        default=None,
        min_length=3,
        max_length=200,
        validate_default=True,
        description="required unless source_ids are given (then it defaults to the first source's name)",
        json_schema_extra={"pattern": TOPIC_PATTERN},
    )
    course_type: CourseType = CourseType.practical
    difficulty: Difficulty = Difficulty.beginner
    preferences: CoursePreferences = CoursePreferences()

    @field_validator("source_ids")
    @classmethod
    def _distinct(cls, source_ids: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(source_ids)) != len(source_ids):
            raise ValueError("lists a source twice")
        return source_ids

    @field_validator("topic", mode="after")
    @classmethod
    def _topic_or_sources(cls, topic: str | None, info: ValidationInfo) -> str | None:
        if topic is None and not info.data.get("source_ids"):
            raise ValueError("topic is required unless source_ids are given")
        return topic

    @field_validator("topic", mode="before")
    @classmethod
    def _collapse_whitespace(cls, value: object) -> object:
        # Checked first: str.split() counts some control characters (U+001C–U+001F, U+0085) as
        # whitespace and would collapse them away unseen.
        refuse_unprintable(value)
        return " ".join(value.split()) if isinstance(value, str) else value

    @field_validator("course_type", "difficulty", mode="before")
    @classmethod
    def _normalise_enum(cls, value: object) -> object:
        return value.strip().lower().replace("-", "_").replace(" ", "_") if isinstance(value, str) else value


class CourseAccepted(BaseModel):
    course_id: uuid.UUID
    workflow_id: str
    status: CourseStatus
    status_url: str


class CourseSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    topic: str
    course_type: str
    difficulty: str
    status: CourseStatus
    topics_total: int
    topics_completed: int = Field(description="topics whose notes are written")
    progress_pct: float = Field(description="share of topics whose notes are written (generation), 0-100")
    topics_read: int = Field(default=0, description="topics whose notes the learner read: their progress")
    created_at: datetime


class Chapter(BaseModel):
    index: int
    title: str
    topics: list[TopicSummary]


class StudyContentRef(BaseModel):
    id: uuid.UUID
    type: StudyContentType
    status: GenerationStatus
    updated_at: datetime | None = Field(default=None, description="when the status last changed")


class CourseSourceRef(BaseModel):
    id: uuid.UUID
    name: str
    kind: str


class CourseDetail(CourseSummary):
    preferences: dict
    title: str | None
    outline_source: str | None = Field(description="llm, or fallback when the manual outline was used")
    outline_model: str | None = Field(description="model that produced the outline")
    error: str | None
    workflow_id: str | None
    generation_stage: str | None = Field(
        default=None, description="live stage read from the running workflow while generating"
    )
    chapters: list[Chapter]
    study_content: list[StudyContentRef] = Field(description="the course's flashcard set and quiz, once requested")
    sources: list[CourseSourceRef] = Field(default_factory=list, description="the learner's sources it is built from")


class CourseList(BaseModel):
    items: list[CourseSummary]
    total: int
    limit: int
    offset: int
