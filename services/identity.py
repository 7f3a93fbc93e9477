"""From a verified token's claims to the Actor: the person's row (made on first sight, as a
late webhook would), and their membership in the organisation the session names.

A membership is read from its row on every request, so removing a member or changing a role takes
effect at once, whatever the token still says. A session naming an organisation the database has
not seen provisions the organisation and the membership from the token's claims (Clerk's webhooks
may arrive later); a removed membership stays removed (its tombstone) until Clerk says otherwise,
and an organisation deleted in Clerk stays deleted (services/clerk_organizations.py)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Membership, Organization, User
from services.actor import Actor
from services.errors import ServiceError
from studyflow.statuses import Role


async def resolve_actor(
    session: AsyncSession,
    clerk_id: str,
    *,
    email: str | None = None,
    name: str | None = None,
    org_external_id: str | None = None,
    org_role: Role | None = None,
) -> Actor:
    row = (await session.execute(select(User.id, User.plan, User.deleted_at).where(User.clerk_id == clerk_id))).first()
    if row is None:
        await session.execute(
            insert(User)
            .values(clerk_id=clerk_id, email=email, display_name=name)
            .on_conflict_do_nothing(index_elements=["clerk_id"])
        )
        await session.commit()
        row = (
            await session.execute(select(User.id, User.plan, User.deleted_at).where(User.clerk_id == clerk_id))
        ).one()
    if row.deleted_at is not None:
        raise ServiceError(401, "authentication failed: account deleted", headers={"WWW-Authenticate": "Bearer"})
    actor = Actor(id=row.id, clerk_id=clerk_id, plan=row.plan)
    if org_external_id is None:
        return actor
    organization_id, role = await _membership(session, row.id, org_external_id, org_role or Role.learner)
    if organization_id is None:
        return actor
    return Actor(id=row.id, clerk_id=clerk_id, plan=row.plan, organization_id=organization_id, role=role)


async def _membership(
    session: AsyncSession, user_id: uuid.UUID, external_id: str, claimed: Role
) -> tuple[uuid.UUID | None, Role | None]:
    found = (
        await session.execute(
            select(Organization.id, Organization.deleted_at, Membership.role, Membership.removed_at)
            .select_from(Organization)
            .outerjoin(Membership, (Membership.organization_id == Organization.id) & (Membership.user_id == user_id))
            .where(Organization.clerk_org_id == external_id)
        )
    ).first()
    if found is not None and found.deleted_at is not None:
        return None, None  # deleted in Clerk: a token still naming it studies in the personal space
    if found is not None and found.role is not None:
        return (None, None) if found.removed_at is not None else (found.id, Role(found.role))
    if found is None:
        await session.execute(
            insert(Organization).values(name=external_id[:200], clerk_org_id=external_id).on_conflict_do_nothing()
        )
    organization_id = await session.scalar(select(Organization.id).where(Organization.clerk_org_id == external_id))
    await session.execute(
        insert(Membership)
        .values(organization_id=organization_id, user_id=user_id, role=claimed)
        .on_conflict_do_nothing(index_elements=["organization_id", "user_id"])
    )
    await session.commit()
    role, removed = (
        await session.execute(
            select(Membership.role, Membership.removed_at).where(
                Membership.organization_id == organization_id, Membership.user_id == user_id
            )
        )
    ).one()
    return (None, None) if removed is not None else (organization_id, Role(role))
