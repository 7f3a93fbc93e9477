from __future__ import annotations

from pydantic import BaseModel, Field


class WorkEstimate(BaseModel):
    typical_seconds: float = Field(description="median duration of the latest pieces of this kind of work")
    samples: int = Field(description="how many pieces of work the median is taken over")


class WorkEstimates(BaseModel):
    """How long each kind of work usually takes here; a kind without enough recent samples is absent."""

    course: WorkEstimate | None = None
    notes: WorkEstimate | None = None
    flashcards: WorkEstimate | None = None
    quiz: WorkEstimate | None = None
    remediation: WorkEstimate | None = None
