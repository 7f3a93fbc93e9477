"""A learner's LLM spend this month: one counter row per (learner, month), added to in the
transaction that writes each priced ledger row, read in one primary-key lookup."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LlmMonthlySpend


def month_start(tz_name: str, now: datetime | None = None) -> datetime:
    local = (now or datetime.now(ZoneInfo(tz_name))).astimezone(ZoneInfo(tz_name))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(tz_name: str, now: datetime | None = None) -> datetime:
    start = month_start(tz_name, now)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def month_of(tz_name: str, now: datetime | None = None) -> date:
    return month_start(tz_name, now).date()


async def month_spend(session: AsyncSession, user_id: uuid.UUID, month: date) -> Decimal:
    spent = await session.scalar(
        select(LlmMonthlySpend.cost_usd).where(LlmMonthlySpend.user_id == user_id, LlmMonthlySpend.month == month)
    )
    return Decimal(spent or 0)


async def add_spend(session: AsyncSession, user_id: uuid.UUID, month: date, cost: Decimal) -> None:
    """Atomic: concurrent calls for one learner add up (`x = x + n`, never read-modify-write)."""
    statement = insert(LlmMonthlySpend).values(user_id=user_id, month=month, cost_usd=cost, calls=1)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[LlmMonthlySpend.user_id, LlmMonthlySpend.month],
            set_={
                "cost_usd": LlmMonthlySpend.cost_usd + statement.excluded.cost_usd,
                "calls": LlmMonthlySpend.calls + 1,
            },
        )
    )
