from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.api_input import ApiInput


class RubricPointView(BaseModel):
    id: str
    text: str
    weight: int


class ProposedPoint(BaseModel):
    point_id: str
    score: float
    confidence: float
    quote: str = Field(description="the learner's sentence it rests on (highlighted in the answer)")
    justification: str = ""
    rejected: str | None = Field(default=None, description="why the LLM's grade of this point was not kept")


class Proposal(BaseModel):
    grader: str
    total: float
    confidence: float
    points: list[ProposedPoint]


class ReviewTask(BaseModel):
    """An uncertain free-text grade waiting for its reviewer."""

    id: uuid.UUID
    attempt_id: uuid.UUID
    item_id: str
    learner: str
    question: str
    model_answer: str
    rubric: list[RubricPointView]
    answer: str
    proposal: Proposal
    status: str
    routed_at: datetime | None
    due_at: datetime | None = Field(description="after this the automatic grade stands, marked not reviewed")


class ReviewQueue(BaseModel):
    tasks: list[ReviewTask]


class ReviewGrade(ApiInput):
    model_config = ConfigDict(extra="forbid")

    scores: dict[str, float] = Field(description="rubric point id → 0, 0.5 or 1, for every point")


class ReviewDone(BaseModel):
    id: uuid.UUID
    item_id: str
    outcome: str
    total: float
    scores: dict[str, float]
