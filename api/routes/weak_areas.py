from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import CurrentUserDep, SessionDep, SettingsDep
from api.schemas.attempts import PlanStatus, TopicMasteryView, WeakAreas, WeakAttempt
from db.models import QuizAttempt, RemediationPlan, Topic, TopicMastery

router = APIRouter(prefix="/v1/weak-areas", tags=["weak areas"])


@router.get("", response_model=WeakAreas)
async def weak_areas(
    *,
    limit: int = Query(20, ge=1, le=100),
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
) -> WeakAreas:
    attempts = (
        await session.execute(
            select(QuizAttempt, RemediationPlan.id.label("plan_id"), RemediationPlan.status.label("plan_status"))
            .outerjoin(RemediationPlan, RemediationPlan.quiz_attempt_id == QuizAttempt.id)
            .where(QuizAttempt.user_id == user.id, QuizAttempt.percentage < settings.quiz_pass_threshold_pct)
            .order_by(QuizAttempt.created_at.desc())
            .limit(limit)
        )
    ).all()
    weakest = (
        await session.execute(
            select(TopicMastery, Topic.title, Topic.course_id)
            .join(Topic, Topic.id == TopicMastery.topic_id)
            .where(TopicMastery.user_id == user.id)
            .order_by(TopicMastery.mastery, TopicMastery.updated_at.desc())
            .limit(limit)
        )
    ).all()
    return WeakAreas(
        attempts=[
            WeakAttempt(
                attempt_id=row.QuizAttempt.id,
                quiz_id=row.QuizAttempt.study_content_id,
                course_id=row.QuizAttempt.course_id,
                percentage=float(row.QuizAttempt.percentage),
                weak_topic_ids=row.QuizAttempt.weak_topics,
                created_at=row.QuizAttempt.created_at,
                remediation=PlanStatus(id=row.plan_id, status=row.plan_status) if row.plan_id else None,
            )
            for row in attempts
        ],
        weakest_topics=[
            TopicMasteryView(
                topic_id=row.TopicMastery.topic_id,
                topic_title=row.title,
                course_id=row.course_id,
                mastery=round(row.TopicMastery.mastery, 4),
                answers=row.TopicMastery.answers,
                correct=row.TopicMastery.correct,
            )
            for row in weakest
        ],
    )
