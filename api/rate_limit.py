"""Per-learner limit on routes that start generation work (burst + sustained rate)."""

from __future__ import annotations

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import CurrentUser, current_user
from api.deps import get_app_settings, get_session
from api.errors import ApiError
from db.rate_limit import take_token
from studyflow.settings import Settings


async def generation_rate_limit(
    user: CurrentUser = Depends(current_user),
    session: AsyncSession = Depends(get_session),
    settings: Settings = Depends(get_app_settings),
) -> None:
    wait = await take_token(
        session, user.id, "generation", burst=settings.rate_limit_burst, per_minute=settings.rate_limit_per_minute
    )
    await session.commit()
    if wait is not None:
        raise ApiError(
            429,
            f"too many generation requests: at most {settings.rate_limit_burst} at once and "
            f"{settings.rate_limit_per_minute:g} per minute",
            headers={"Retry-After": str(wait)},
        )
