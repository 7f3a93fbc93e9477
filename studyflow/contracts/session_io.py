"""Inputs and results of SessionAnalysisWorkflow's activities: ids and small counts only (the
transcript, the windows' findings and the analysis live in Postgres)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel


class SessionRef(BaseModel):
    session_id: uuid.UUID
    version: int


class SessionReadInput(SessionRef):
    window_words: int
    llm_allowed: bool = True


class SessionPlan(BaseModel):
    already_done: bool = False
    utterances: int = 0
    windows: int = 0
    engine: str = "llm"  # llm | extractive


class WindowRef(SessionRef):
    window_index: int
    windows: int
    window_words: int  # as the read step cut them
    extractive: bool = False  # the model failed every attempt on this window: read it without one


class PersistResult(BaseModel):
    concepts: int
    quotes_valid: int
    quotes_dropped: int
    concepts_dropped: int


class PracticePlan(BaseModel):
    quiz_id: uuid.UUID | None = None
    flashcards_id: uuid.UUID | None = None


class PracticeOutcome(SessionRef):
    quiz_ready: bool
    flashcards_ready: bool
    error: str | None = None
