from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class PlanLimits(BaseModel):
    courses_per_day: int
    study_content_per_day: int
    generation_burst: int
    generation_per_minute: float


class UsageToday(BaseModel):
    courses: int
    study_content: int


class LlmSpend(BaseModel):
    spent_this_month_usd: float = Field(description="the cost of this month's LLM calls made for you")
    budget_usd: float = Field(description="what your plan includes per month; generation stops (429) when it is spent")
    renews_on: date


class Me(BaseModel):
    id: str
    email: str | None
    plan: str
    subscription_status: str | None
    limits: PlanLimits
    usage_today: UsageToday
    llm_spend: LlmSpend


class MeStats(BaseModel):
    plan: str
    streak_current: int
    streak_longest: int
    last_active_date: date | None
    study_seconds: int
    courses_completed: int
    courses_created_today: int
    courses_per_day: int
    quiz_attempts: int
    quiz_questions: int
    quiz_correct: int
    accuracy_pct: float | None
