"""A learner's LLM spend: the ledger's costs since the start of their month."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LlmCall


def month_start(tz_name: str, now: datetime | None = None) -> datetime:
    local = (now or datetime.now(ZoneInfo(tz_name))).astimezone(ZoneInfo(tz_name))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(tz_name: str, now: datetime | None = None) -> datetime:
    start = month_start(tz_name, now)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


async def spend_since(session: AsyncSession, user_id: uuid.UUID, since: datetime) -> Decimal:
    spent = await session.scalar(
        select(func.coalesce(func.sum(LlmCall.cost_usd), 0)).where(
            LlmCall.user_id == user_id, LlmCall.created_at >= since
        )
    )
    return Decimal(spent)
