"""Learning-improvement and organisation analytics (definitions: docs/analytics.md)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field


class WeekTrend(BaseModel):
    week_start: date
    attempts: int
    average_score: float | None = Field(description="mean percentage of the week's quiz attempts")
    active_days: int
    reviews: int
    recall_rate: float | None
    mastered: int = Field(description="concepts mastered at the end of the week")


class ConceptMastery(BaseModel):
    topic_id: uuid.UUID
    topic: str
    course: str
    mastery: float
    answers: int
    mastered: bool


class LearnerImprovementView(BaseModel):
    learner_id: uuid.UUID
    first: date = Field(description="first day of the period")
    last: date = Field(description="last day of the period (at most today)")
    days: int
    score_before: float | None = Field(description="mean attempt percentage in the first third of the period")
    score_after: float | None = Field(description="mean attempt percentage in the last third of the period")
    score_change: float | None
    attempts_before: int
    attempts_after: int
    attempts: int
    trend: list[WeekTrend]
    mastered_start: int = Field(description="concepts at or above the mastery threshold before the period")
    mastered_end: int
    mastered_change: int
    mastery_threshold: float
    concepts: list[ConceptMastery] = Field(description="current mastery per concept, highest first (50 at most)")
    sessions: int
    active_days: int
    engagement_rate: float | None = Field(description="active days / days")
    reviews: int
    recalled: int
    recall_rate: float | None
    predicted_reviews: int = Field(description="reviews FSRS had a prediction for (not a card's first)")
    predicted_retention: float | None = Field(description="mean predicted recall of those reviews")
    measured_retention: float | None = Field(description="share of those reviews recalled (not rated again)")
    assignments_due: int
    assignments_on_time: int
    on_time_rate: float | None
    not_rolled: int = Field(description="days of the period not rolled up yet and counted as empty")


class NudgeEffect(BaseModel):
    reason: str
    nudged: int
    returned: int = Field(description="studied within 48 h of the nudge")
    return_rate: float | None
    lift: float | None = Field(description="return rate minus that of comparable learners not nudged")


class OverviewDay(BaseModel):
    day: date
    learners: int
    dau: int
    wau: int
    mau: int
    churned: int


class OverviewView(BaseModel):
    organization_id: uuid.UUID
    segment: str = Field(description="all | tutor | group: whose figures these are")
    segment_id: uuid.UUID
    first: date
    last: date
    days: int
    learners: int
    dau: int
    wau: int
    mau: int
    dau_average: float | None
    sessions: int
    sessions_per_learner: float | None
    practice_due: int
    practice_on_time: int
    practice_completion_rate: float | None
    churned: int
    ever_active: int
    churn_rate: float | None
    churn_days: int
    goals_due: int
    goals_met: int
    goal_completion_rate: float | None
    suggestions_offered: int
    suggestions_accepted: int
    suggestion_acceptance_rate: float | None
    nudges: list[NudgeEffect]
    control_learners: int
    control_returned: int
    control_return_rate: float | None
    handoffs_sent: int
    handoffs_accepted: int
    mean_seconds_to_accept: float | None
    llm_cost_usd: float
    llm_cost_per_learner_usd: float | None
    series: list[OverviewDay]
    not_rolled: int
