"""Tutor–learner links: who may see a learner's work. An admin links a tutor and a learner of the
organisation, or the learner accepts a tutor's invitation (services/invitations.py). The admin,
the tutor or the learner may end a link; it ends at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LearnerContext, Organization, TutorLink, User
from services.actor import Actor
from services.errors import ServiceError
from services.organizations import role_of
from services.policy import VISIBLE_TO_STAFF, Action, OrgResource, authorize_org
from studyflow.statuses import Role


@dataclass(frozen=True)
class LinkView:
    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    tutor_id: uuid.UUID
    tutor_name: str
    learner_id: uuid.UUID
    learner_name: str
    can_see: list[str]


async def link(
    session: AsyncSession,
    organization_id: uuid.UUID,
    tutor_id: uuid.UUID,
    learner_id: uuid.UUID,
    granted_by: uuid.UUID | None,
) -> uuid.UUID:
    """Idempotent: an active link is returned as it is."""
    if await role_of(session, organization_id, tutor_id) != Role.tutor:
        raise ServiceError(422, f"{tutor_id} is not a tutor of this organisation")
    if await role_of(session, organization_id, learner_id) is None:
        raise ServiceError(422, f"{learner_id} is not a member of this organisation")
    if tutor_id == learner_id:
        raise ServiceError(422, "a tutor cannot be linked to themself")
    await session.execute(
        insert(TutorLink)
        .values(organization_id=organization_id, tutor_id=tutor_id, learner_id=learner_id, granted_by=granted_by)
        .on_conflict_do_nothing(
            index_elements=["organization_id", "tutor_id", "learner_id"], index_where=TutorLink.revoked_at.is_(None)
        )
    )
    # The tutor's view of the learner starts with a context to write (services/learner_context.py).
    await session.execute(
        insert(LearnerContext)
        .values(organization_id=organization_id, learner_id=learner_id)
        .on_conflict_do_nothing(index_elements=["organization_id", "learner_id"])
    )
    # Inserted above, or already there: the one live link of the three.
    live = await session.execute(
        select(TutorLink.id).where(
            TutorLink.organization_id == organization_id,
            TutorLink.tutor_id == tutor_id,
            TutorLink.learner_id == learner_id,
            TutorLink.revoked_at.is_(None),
        )
    )
    return live.scalar_one()


async def link_by_admin(
    session: AsyncSession, actor: Actor, organization_id: uuid.UUID, tutor_id: uuid.UUID, learner_id: uuid.UUID
) -> uuid.UUID:
    authorize_org(actor, organization_id, OrgResource.tutor_links, Action.change, f"organisation {organization_id}")
    link_id = await link(session, organization_id, tutor_id, learner_id, actor.id)
    await session.commit()
    return link_id


async def revoke(session: AsyncSession, actor: Actor, link_id: uuid.UUID) -> None:
    found = await session.scalar(select(TutorLink).where(TutorLink.id == link_id, TutorLink.revoked_at.is_(None)))
    if found is None or actor.id not in (found.tutor_id, found.learner_id):
        if found is None:
            raise ServiceError(404, f"tutor link {link_id} not found")
        authorize_org(actor, found.organization_id, OrgResource.tutor_links, Action.change, f"tutor link {link_id}")
    found.revoked_at = func.now()
    await session.commit()


async def links_of(session: AsyncSession, user_id: uuid.UUID, *, as_tutor: bool = False) -> list[LinkView]:
    """A learner's tutors (what each may see), or a tutor's learners."""
    tutor, learner = User.__table__.alias("tutor"), User.__table__.alias("learner")
    mine = TutorLink.tutor_id == user_id if as_tutor else TutorLink.learner_id == user_id
    rows = await session.execute(
        select(
            TutorLink.id,
            TutorLink.organization_id,
            Organization.name,
            TutorLink.tutor_id,
            func.coalesce(tutor.c.display_name, tutor.c.clerk_id),
            TutorLink.learner_id,
            func.coalesce(learner.c.display_name, learner.c.clerk_id),
        )
        .join(Organization, Organization.id == TutorLink.organization_id)
        .join(tutor, tutor.c.id == TutorLink.tutor_id)
        .join(learner, learner.c.id == TutorLink.learner_id)
        .where(mine, TutorLink.revoked_at.is_(None))
        .order_by(TutorLink.created_at)
    )
    seen = sorted(str(data) for data in VISIBLE_TO_STAFF)
    return [
        LinkView(link_id, organization_id, organization_name, tutor_id, tutor_name, learner_id, learner_name, seen)
        for link_id, organization_id, organization_name, tutor_id, tutor_name, learner_id, learner_name in rows
    ]


async def revoke_for_learner(session: AsyncSession, organization_id: uuid.UUID, learner_id: uuid.UUID) -> None:
    await session.execute(
        update(TutorLink)
        .where(
            TutorLink.organization_id == organization_id,
            TutorLink.learner_id == learner_id,
            TutorLink.revoked_at.is_(None),
        )
        .values(revoked_at=func.now())
    )
