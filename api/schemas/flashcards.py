from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from api.schemas.api_input import ApiInput


class DueCard(BaseModel):
    """A card as shown before the learner reveals it: front only."""

    card_id: str
    front: str
    course_id: uuid.UUID
    topic_id: uuid.UUID | None
    state: str = Field(description="new, learning, review or relearning")
    due_at: datetime | None = Field(description="null for a card never reviewed")


class DueCards(BaseModel):
    cards: list[DueCard]
    total_due: int


class NextDue(BaseModel):
    again: datetime
    hard: datetime
    good: datetime
    easy: datetime


class CardDetail(BaseModel):
    card_id: str
    front: str
    back: str
    course_id: uuid.UUID
    topic_id: uuid.UUID | None
    state: str
    due_at: datetime | None
    next_due: NextDue | None = Field(
        default=None, description="when the card would be due after each rating now (FSRS)"
    )


class ReviewCreate(ApiInput):
    rating: Literal["again", "hard", "good", "easy"]

    @field_validator("rating", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class ReviewResult(BaseModel):
    card_id: str
    rating: str
    state: str
    due_at: datetime
    stability: float | None
    difficulty: float | None
