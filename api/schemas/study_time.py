from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.api_input import ApiInput


class StudyTimeReport(ApiInput):
    seconds: int = Field(ge=1, le=300, description="seconds studied since the last report (at most 5 minutes)")
    activity: Literal["notes", "review", "flashcards"] = Field(
        description="what the learner did; a quiz counts in its attempt"
    )
    topic_id: uuid.UUID | None = Field(
        default=None, description="with activity notes: the topic read (30 s on its notes mark it read)"
    )


class StudyTimeCounted(BaseModel):
    counted_seconds: int = Field(description="what was added: less than reported past 8 hours a day and activity")
    study_seconds: int = Field(description="the learner's study time so far")
    topic_read: bool = Field(description="the topic counts as read")
