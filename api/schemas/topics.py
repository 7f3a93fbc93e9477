from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from studyflow.statuses import TopicStatus


class TopicSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    chapter_index: int
    topic_index: int
    title: str
    summary: str | None
    status: TopicStatus
    updated_at: datetime | None = Field(
        default=None, description="when the status last changed (while generating: when it started)"
    )
    read: bool = Field(default=False, description="the learner has read its notes (30 s on them)")


class TopicDetail(TopicSummary):
    course_id: uuid.UUID
    chapter_title: str
    notes_md: str | None
    notes_model: str | None
    error: str | None
    retry_count: int
    generated_at: datetime | None


class NotesState(BaseModel):
    topic_id: uuid.UUID
    status: TopicStatus
    workflow_id: str | None = None
    status_url: str
    notes_md: str | None = None
    notes_model: str | None = None
