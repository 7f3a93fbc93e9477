"""Who is asking: the signed-in person as the services see them — their account, and their role
in the organisation their session is in (none: the personal space of a learner on their own)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from studyflow.statuses import Role


@dataclass(frozen=True)
class Actor:
    id: uuid.UUID
    clerk_id: str
    plan: str
    organization_id: uuid.UUID | None = None
    role: Role | None = None  # in `organization_id`

    @property
    def is_admin(self) -> bool:
        return self.organization_id is not None and self.role == Role.admin

    @property
    def is_tutor(self) -> bool:
        return self.organization_id is not None and self.role == Role.tutor


async def actor_of(session: AsyncSession, user_id: uuid.UUID) -> Actor:
    """The learner a piece of background work acts for (their plan decides their allowances)."""
    row = (await session.execute(select(User.clerk_id, User.plan).where(User.id == user_id))).one()
    return Actor(id=user_id, clerk_id=row.clerk_id, plan=row.plan)
