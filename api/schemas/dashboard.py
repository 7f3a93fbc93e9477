from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from api.schemas.goals import GoalView
from studyflow.statuses import CourseStatus


class DashboardCourse(BaseModel):
    id: uuid.UUID
    topic: str
    status: CourseStatus
    topics_total: int
    topics_completed: int
    progress_pct: float
    topics_read: int = 0


class DashboardTopic(BaseModel):
    topic_id: uuid.UUID
    title: str
    mastery: float


class RecentAttempt(BaseModel):
    attempt_id: uuid.UUID
    quiz_id: uuid.UUID
    percentage: float
    created_at: datetime


class Dashboard(BaseModel):
    plan: str
    streak_current: int
    streak_longest: int
    last_active_date: date | None
    study_seconds: int
    courses_completed: int
    quiz_attempts: int
    quiz_questions: int
    quiz_correct: int
    due_cards: int
    courses: list[DashboardCourse]
    weak_topics: list[DashboardTopic]
    recent_attempts: list[RecentAttempt]
    goals: list[GoalView] = Field(description="active and met goals with progress and pace")
