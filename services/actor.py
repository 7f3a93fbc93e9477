"""Who is asking: the signed-in person as the services see them (the API builds it from the
verified token and the user's row)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User


@dataclass(frozen=True)
class Actor:
    id: uuid.UUID
    clerk_id: str
    plan: str


async def actor_of(session: AsyncSession, user_id: uuid.UUID) -> Actor:
    """The learner a piece of background work acts for (their plan decides their allowances)."""
    row = (await session.execute(select(User.clerk_id, User.plan).where(User.id == user_id))).one()
    return Actor(id=user_id, clerk_id=row.clerk_id, plan=row.plan)
