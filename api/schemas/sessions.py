"""Tutoring sessions as the API shows them: the transcript (utterances with speakers, roles and
times), the analysis (concepts with the evidence quotes found in the transcript), the practice it
assigned, and the session's progress."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.api_input import ApiInput
from studyflow.statuses import LearnerShowed, SessionStatus

Role = Literal["tutor", "learner", "other"]


class EvidenceView(BaseModel):
    quote: str = Field(description="the transcript's own words")
    speaker: str
    role: str
    time: str | None = Field(description='"HH:MM:SS" from the start of the session (None: untimed transcript)')
    utterance_index: int = Field(description="where it is in `transcript` (link target)")
    similarity: float = Field(description="how closely the proposed quote matched, 0-100")


class ConceptView(BaseModel):
    name: str
    difficulty: int
    learner_showed: LearnerShowed
    evidence: list[EvidenceView]
    topic_id: uuid.UUID | None
    matched: str = Field(
        description="existing (one of the learner's topics), practice (a topic of the practice course) or none"
    )


class UtteranceView(BaseModel):
    index: int
    speaker: str
    role: Role
    text: str
    time: str | None


class AnalysisView(BaseModel):
    version: int
    status: SessionStatus
    error: str | None
    engine: str | None = Field(description="llm, or extractive (read from the transcript without a model)")
    model: str | None
    roles_from: str | None = Field(description="given, names or inferred: how tutor and learner were told apart")
    windows: int | None
    topics: list[str]
    concepts: list[ConceptView]
    strengths: list[str]
    areas_for_improvement: list[str]
    action_items: list[str]
    quotes_proposed: int
    quotes_valid: int
    quotes_dropped: int
    concepts_dropped: int = Field(description="concepts left out for having no evidence found in the transcript")
    practice_course_id: uuid.UUID | None
    practice_status: str | None
    practice_error: str | None
    completed_at: datetime | None


class SessionSummary(BaseModel):
    id: uuid.UUID
    learner_id: uuid.UUID
    learner_name: str
    tutor_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    subject: str
    session_date: date
    duration_minutes: int | None
    transcript_format: str
    status: SessionStatus
    stage: str | None
    error: str | None
    analysis_version: int
    source_id: uuid.UUID | None
    created_at: datetime


class SessionView(SessionSummary):
    speaker_mapping: dict[str, str]
    speakers: dict[str, Role] = Field(description="every speaker's role in the shown analysis")
    transcript: list[UtteranceView]
    analysis: AnalysisView | None
    versions: list[int]


class SessionAccepted(SessionSummary):
    status_url: str


class SessionList(BaseModel):
    sessions: list[SessionSummary]


class SessionCorrection(ApiInput):
    model_config = ConfigDict(extra="forbid")

    speaker_mapping: dict[str, Role] | None = Field(
        default=None, description="speaker name (as in the transcript) → tutor, learner or other"
    )
    # Keys are utterance indexes: JSON object keys are strings, so the document says they are digits.
    utterances: dict[int, str] | None = Field(
        default=None,
        description="utterance index → corrected text",
        max_length=2000,
        json_schema_extra={"propertyNames": {"pattern": "^[0-9]{1,9}$"}},
    )
