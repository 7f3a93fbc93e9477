"""Organisations and their members: made, listed, roles changed, members removed. Removing a member
(or their tutor role) revokes at once what that gave: their tutor links go with it, and the
tombstone keeps an old token from bringing the membership back. The person's own data stays theirs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Membership, Organization, TutorLink, User
from services.actor import Actor
from services.errors import ServiceError
from services.policy import Action, OrgResource, authorize_org
from studyflow.statuses import Role


@dataclass(frozen=True)
class MemberRow:
    user_id: uuid.UUID
    clerk_id: str
    display_name: str | None
    role: Role


async def create_organization(session: AsyncSession, actor: Actor, name: str) -> Organization:
    """The person who makes an organisation is its first admin; sessions name it by its external id
    (Clerk's organisation id; here `org_<hex>`, for the embedded stack and Clerk-less deployments)."""
    organization = Organization(id=uuid.uuid4(), name=name)
    organization.clerk_org_id = f"org_{organization.id.hex}"
    session.add(organization)
    await session.flush()
    session.add(Membership(organization_id=organization.id, user_id=actor.id, role=Role.admin))
    await session.commit()
    return organization


async def memberships_of(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[Organization, Role]]:
    rows = await session.execute(
        select(Organization, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user_id, Membership.removed_at.is_(None))
        .order_by(Organization.name)
    )
    return [(org, Role(role)) for org, role in rows]


async def members(session: AsyncSession, actor: Actor, organization_id: uuid.UUID) -> list[MemberRow]:
    authorize_org(actor, organization_id, OrgResource.members, Action.read, f"organisation {organization_id}")
    rows = await session.execute(
        select(User.id, User.clerk_id, User.display_name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id, Membership.removed_at.is_(None))
        .order_by(Membership.role, User.display_name, User.clerk_id)
    )
    return [MemberRow(r.id, r.clerk_id, r.display_name, Role(r.role)) for r in rows]


async def change_role(
    session: AsyncSession, actor: Actor, organization_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> None:
    authorize_org(actor, organization_id, OrgResource.members, Action.change, f"organisation {organization_id}")
    membership = await _membership(session, organization_id, user_id)
    if membership.role == Role.admin and role != Role.admin:
        await _keep_an_admin(session, organization_id, user_id)
    if membership.role == Role.tutor and role != Role.tutor:
        await revoke_tutor_links(session, organization_id, tutor_id=user_id)
    membership.role = role
    await session.commit()


async def remove_member(session: AsyncSession, actor: Actor, organization_id: uuid.UUID, user_id: uuid.UUID) -> None:
    authorize_org(actor, organization_id, OrgResource.members, Action.change, f"organisation {organization_id}")
    membership = await _membership(session, organization_id, user_id)
    if membership.role == Role.admin:
        await _keep_an_admin(session, organization_id, user_id)
    membership.removed_at = func.now()
    await revoke_tutor_links(session, organization_id, tutor_id=user_id)
    await revoke_tutor_links(session, organization_id, learner_id=user_id)
    await session.commit()


async def _membership(session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID) -> Membership:
    membership = await session.scalar(
        select(Membership)
        .where(
            Membership.organization_id == organization_id,
            Membership.user_id == user_id,
            Membership.removed_at.is_(None),
        )
        .with_for_update()
    )
    if membership is None:
        raise ServiceError(404, f"member {user_id} not found")
    return membership


async def _keep_an_admin(session: AsyncSession, organization_id: uuid.UUID, leaving: uuid.UUID) -> None:
    others = await session.scalar(
        select(func.count()).where(
            Membership.organization_id == organization_id,
            Membership.role == Role.admin,
            Membership.removed_at.is_(None),
            Membership.user_id != leaving,
        )
    )
    if not others:
        raise ServiceError(409, "an organisation needs an admin: make someone else admin first")


async def revoke_tutor_links(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    tutor_id: uuid.UUID | None = None,
    learner_id: uuid.UUID | None = None,
) -> None:
    statement = update(TutorLink).where(TutorLink.organization_id == organization_id, TutorLink.revoked_at.is_(None))
    if tutor_id is not None:
        statement = statement.where(TutorLink.tutor_id == tutor_id)
    if learner_id is not None:
        statement = statement.where(TutorLink.learner_id == learner_id)
    await session.execute(statement.values(revoked_at=func.now()))


async def role_of(session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID) -> Role | None:
    role = await session.scalar(
        select(Membership.role).where(
            Membership.organization_id == organization_id,
            Membership.user_id == user_id,
            Membership.removed_at.is_(None),
        )
    )
    return Role(role) if role else None
