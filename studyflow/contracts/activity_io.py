from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from studyflow.contracts.generated import CourseOutlineDraft
from studyflow.contracts.workflow_inputs import OutlineShape


class OutlineRequest(BaseModel):
    course_id: uuid.UUID
    shape: OutlineShape


class GeneratedOutline(BaseModel):
    outline: CourseOutlineDraft
    model: str


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


class CourseFailureInput(BaseModel):
    course_id: uuid.UUID
    error: str


class TopicRef(BaseModel):
    topic_id: uuid.UUID


class TopicNotesResult(BaseModel):
    topic_found: bool
    status: str | None = None


class TopicFailureInput(BaseModel):
    topic_id: uuid.UUID
    error: str
