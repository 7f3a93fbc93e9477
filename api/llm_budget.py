"""Each plan's monthly LLM budget, checked before a generation starts: over it, the request is a
429 and nothing is written, started or counted against the daily quota."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import CurrentUser, current_user
from api.deps import get_app_settings, get_session
from api.errors import ApiError
from db.llm_spend import month_start, next_month_start, spend_since
from studyflow.settings import Settings


async def within_llm_budget(
    user: CurrentUser = Depends(current_user),
    session: AsyncSession = Depends(get_session),
    settings: Settings = Depends(get_app_settings),
) -> None:
    budget = settings.llm_budget(user.plan)
    spent = await spend_since(session, user.id, month_start(settings.day_timezone))
    if spent >= budget:
        renews = next_month_start(settings.day_timezone)
        wait = max(1, int((renews - datetime.now(ZoneInfo(settings.day_timezone))).total_seconds()))
        raise ApiError(
            429,
            f"monthly LLM budget reached: ${spent:.2f} of the ${budget:.2f} included in the {user.plan} plan "
            f"is spent; it renews on {renews:%B} 1",
            code="budget_exhausted",
            headers={"Retry-After": str(wait)},
        )
