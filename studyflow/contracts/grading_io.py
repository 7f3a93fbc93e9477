"""What GradingWorkflow and its activities pass each other, and what the review Update carries."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class AttemptRef(BaseModel):
    attempt_id: uuid.UUID


class GradeAttemptInput(BaseModel):
    attempt_id: uuid.UUID
    llm_allowed: bool = False
    embedded_threshold: float
    llm_threshold: float


class Routed(BaseModel):
    """Items of the attempt waiting for their reviewer (the rest are final)."""

    pending: list[str] = Field(default_factory=list)


class ReviewInput(BaseModel):
    """A reviewer's grade of one item (the API has checked who they are and the rubric's shape)."""

    item_id: str
    reviewer_id: uuid.UUID
    scores: dict[str, float]


class RecordReviewInput(ReviewInput):
    attempt_id: uuid.UUID


class ReviewResult(BaseModel):
    item_id: str
    outcome: str
    total: float
    scores: dict[str, float]
