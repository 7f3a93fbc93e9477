from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from api.schemas.api_input import ApiInput
from api.schemas.courses import CourseAccepted, CourseType, Difficulty
from studyflow.statuses import GoalStatus, SuggestionStatus


class _GoalCreate(ApiInput):
    model_config = ConfigDict(extra="forbid")

    @field_validator("kind", mode="before", check_fields=False)
    @classmethod
    def _lowercase(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class CourseByDateGoalCreate(_GoalCreate):
    """Finish a course (every topic's notes done) by a date."""

    kind: Literal["course_by_date"]
    course_id: uuid.UUID
    due_date: date = Field(description="today or later")


class MasteryGoalCreate(_GoalCreate):
    """Reach a mean mastery over a course's topics (unpractised topics count 0)."""

    kind: Literal["mastery"]
    course_id: uuid.UUID
    target: float = Field(gt=0, le=1, description="mastery level, 0-1")
    due_date: date | None = Field(default=None, description="today or later")


class DailyMinutesGoalCreate(_GoalCreate):
    """Study (quiz time) this many minutes a day, on `days` days."""

    kind: Literal["daily_minutes"]
    target: int = Field(ge=1, le=600, description="minutes a day")
    days: int = Field(default=7, ge=1, le=365, description="on how many days")


class DailyReviewsGoalCreate(_GoalCreate):
    """Review this many flashcards a day, on `days` days."""

    kind: Literal["daily_reviews"]
    target: int = Field(ge=1, le=1000, description="reviews a day")
    days: int = Field(default=7, ge=1, le=365, description="on how many days")


def _kind_of(value: object) -> str | None:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind.strip().lower() if isinstance(kind, str) else None


# One shape per kind, chosen by `kind` (case-insensitive): the document states each kind's fields.
GoalCreate = Annotated[
    Annotated[CourseByDateGoalCreate, Tag("course_by_date")]
    | Annotated[MasteryGoalCreate, Tag("mastery")]
    | Annotated[DailyMinutesGoalCreate, Tag("daily_minutes")]
    | Annotated[DailyReviewsGoalCreate, Tag("daily_reviews")],
    Discriminator(
        _kind_of,
        custom_error_type="goal_kind",
        custom_error_message="kind must be one of course_by_date, mastery, daily_minutes, daily_reviews",
    ),
]


class GoalUpdate(ApiInput):
    model_config = ConfigDict(extra="forbid")

    due_date: date | None = Field(default=None, description="a new date, today or later")
    status: Literal["active", "abandoned"] | None = Field(
        default=None, description="abandon a goal, or take it up again"
    )


class GoalProgressView(BaseModel):
    current: float = Field(description="topics done, mastery, or today's minutes or reviews")
    target: float
    percent: int = Field(description="towards meeting the goal, 0-100")
    state: Literal["on_track", "behind", "met"]
    pace: str = Field(description="what it takes from here")


class GoalView(BaseModel):
    id: uuid.UUID
    kind: str
    description: str
    course_id: uuid.UUID | None
    course_topic: str | None
    target: float
    days: int | None
    due_date: date | None
    start_date: date
    status: GoalStatus
    met_at: datetime | None
    created_at: datetime
    progress: GoalProgressView


class GoalList(BaseModel):
    goals: list[GoalView]


class SuggestionView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    goal_id: uuid.UUID
    topic: str
    reason: str
    source: str = Field(description="llm, or template when the model could not answer")
    status: SuggestionStatus
    course_id: uuid.UUID | None = Field(description="the course made when it was accepted")
    created_at: datetime


class SuggestionList(BaseModel):
    suggestions: list[SuggestionView]


class SuggestionAccept(ApiInput):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(default=14, ge=1, le=365, description="finish the new course within this many days")
    course_type: CourseType = CourseType.practical
    difficulty: Difficulty = Difficulty.beginner


class SuggestionAccepted(BaseModel):
    suggestion: SuggestionView
    course: CourseAccepted
    goal: GoalView
