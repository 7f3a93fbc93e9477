from __future__ import annotations

import uuid
from datetime import timedelta

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


class TopicNotesInput(BaseModel):
    topic_id: uuid.UUID
    retry: LlmRetry = LlmRetry()


class StudyContentInput(BaseModel):
    content_id: uuid.UUID
    retry: LlmRetry = LlmRetry()


class RemediationInput(BaseModel):
    plan_id: uuid.UUID
    retry: LlmRetry = LlmRetry()


class UserProvisioningInput(BaseModel):
    event_row_id: uuid.UUID
