"""Invitations into an organisation: single use, expiring, only the token's hash kept. An admin may
invite anyone with any role; a tutor invites learners, and accepting such an invitation is the
learner's consent to be linked to that tutor."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Invitation, Membership, Organization, User
from services.actor import Actor
from services.errors import ServiceError
from services.policy import Action, OrgResource, authorize_org
from services.tutor_links import link
from studyflow.statuses import Role


@dataclass(frozen=True)
class Issued:
    invitation: Invitation
    token: str  # shown once, to the inviter; only its hash is stored


@dataclass(frozen=True)
class Preview:
    organization_name: str
    role: Role
    tutor_name: str | None
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def invite(
    session: AsyncSession,
    actor: Actor,
    organization_id: uuid.UUID,
    role: Role,
    *,
    valid_for: timedelta,
    note: str | None = None,
) -> Issued:
    authorize_org(actor, organization_id, OrgResource.invitations, Action.change, f"organisation {organization_id}")
    tutor_id = None
    if actor.role == Role.tutor:
        if role != Role.learner:
            raise ServiceError(403, "a tutor may invite learners only")
        tutor_id = actor.id  # accepting links the learner to the tutor who invited them
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization_id=organization_id,
        role=role,
        invited_by=actor.id,
        tutor_id=tutor_id,
        token_hash=_hash(token),
        note=note,
        expires_at=datetime.now().astimezone() + valid_for,
    )
    session.add(invitation)
    await session.commit()
    return Issued(invitation, token)


async def preview(session: AsyncSession, token: str) -> Preview:
    invitation, org_name = await _usable(session, token)
    tutor_name = None
    if invitation.tutor_id:
        tutor_name = await session.scalar(
            select(func.coalesce(User.display_name, User.clerk_id)).where(User.id == invitation.tutor_id)
        )
    return Preview(org_name, Role(invitation.role), tutor_name, invitation.expires_at)


async def accept(session: AsyncSession, actor: Actor, token: str) -> tuple[uuid.UUID, Role]:
    """Makes (or keeps) the membership and, for a tutor's invitation, the link. Single use: the
    status guard lets one acceptance win however many race."""
    invitation, _ = await _usable(session, token)
    won = await session.scalar(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_by=actor.id, accepted_at=func.now())
        .returning(Invitation.id)
    )
    if won is None:
        raise ServiceError(409, "this invitation was already used")
    role = Role(invitation.role)
    existing = await session.scalar(
        select(Membership).where(
            Membership.organization_id == invitation.organization_id, Membership.user_id == actor.id
        )
    )
    if existing is None:
        await session.execute(
            insert(Membership).values(organization_id=invitation.organization_id, user_id=actor.id, role=role)
        )
    elif existing.removed_at is not None:
        existing.removed_at, existing.role = None, role
    else:
        role = Role(existing.role)  # an invitation never demotes: the member keeps their role
    if invitation.tutor_id is not None:
        await link(session, invitation.organization_id, invitation.tutor_id, actor.id, invitation.tutor_id)
    await session.commit()
    return invitation.organization_id, role


async def _usable(session: AsyncSession, token: str) -> tuple[Invitation, str]:
    found = (
        await session.execute(
            select(Invitation, Organization.name)
            .join(Organization, Organization.id == Invitation.organization_id)
            .where(Invitation.token_hash == _hash(token))
        )
    ).first()
    if found is None:
        raise ServiceError(404, "invitation not found: check the link")
    invitation, name = found
    if invitation.accepted_at is not None:
        raise ServiceError(409, "this invitation was already used")
    if invitation.expires_at <= datetime.now().astimezone():
        raise ServiceError(410, "this invitation has expired: ask for a new one")
    return invitation, name
