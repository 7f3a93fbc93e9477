from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import CurrentUser
from api.deps import CurrentUserDep, SessionDep, SettingsDep
from api.schemas.me import LlmSpend, Me, MeStats, PlanLimits, UsageToday
from db.llm_spend import month_of, month_spend, next_month_start
from db.models import User
from studyflow.local_day import today_in
from studyflow.settings import Settings

router = APIRouter(prefix="/v1/me", tags=["me"])


async def _account(session: AsyncSession, user: CurrentUser, settings: Settings) -> tuple[User, bool]:
    """The learner's row, and whether its usage counters are today's (they reset lazily)."""
    row = (await session.execute(select(User).where(User.id == user.id))).scalar_one()
    return row, row.usage_date == today_in(settings.day_timezone)


@router.get("", response_model=Me)
async def me(
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Me:
    row, today = await _account(session, user, settings)
    return Me(
        id=row.clerk_id,
        email=row.email,
        plan=row.plan,
        subscription_status=row.subscription_status,
        limits=PlanLimits(
            courses_per_day=settings.courses_per_day(row.plan),
            study_content_per_day=settings.study_content_per_day(row.plan),
            generation_burst=settings.rate_limit_burst,
            generation_per_minute=settings.rate_limit_per_minute,
        ),
        usage_today=UsageToday(
            courses=row.courses_created_today if today else 0,
            study_content=row.study_content_today if today else 0,
        ),
        llm_spend=LlmSpend(
            spent_this_month_usd=float(await month_spend(session, user.id, month_of(settings.day_timezone))),
            budget_usd=float(settings.llm_budget(row.plan)),
            renews_on=next_month_start(settings.day_timezone).date(),
        ),
    )


@router.get("/stats", response_model=MeStats)
async def my_stats(
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
) -> MeStats:
    row, today = await _account(session, user, settings)
    used_today = row.courses_created_today if today else 0
    return MeStats(
        plan=row.plan,
        streak_current=row.streak_current,
        streak_longest=row.streak_longest,
        last_active_date=row.last_active_date,
        study_seconds=row.study_seconds,
        courses_completed=row.courses_completed,
        courses_created_today=used_today,
        courses_per_day=settings.courses_per_day(row.plan),
        quiz_attempts=row.quiz_attempts,
        quiz_questions=row.quiz_questions,
        quiz_correct=row.quiz_correct,
        accuracy_pct=round(100 * row.quiz_correct / row.quiz_questions, 2) if row.quiz_questions else None,
    )
