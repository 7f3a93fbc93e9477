"""Clerk Organizations applied to studyflow's organisations and memberships, from the organisation
and membership webhooks (the provisioning workflow's activity calls these in its transaction).

Clerk is the source of truth in production: a membership it creates or updates is applied whatever
studyflow's own admin rules would say, and one it deletes becomes a tombstone at once, revoking the
tutor links it gave (the learner's data stays theirs). Svix may deliver out of order, so each row
remembers the newest Clerk `updated_at` applied and an older delivery changes nothing; a deletion
wins over an update carrying the same time (its data is the membership as it last was)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Membership, Organization, User
from services.organizations import revoke_tutor_links
from studyflow.clerk_roles import role_from_clerk
from studyflow.contracts.provider_events import ClerkMembership, ClerkOrganization
from studyflow.statuses import Role

log = logging.getLogger(__name__)


async def apply_organization(session: AsyncSession, organization: ClerkOrganization) -> str:
    """Creates or renames; a deleted organisation stays deleted."""
    statement = insert(Organization).values(
        name=organization.name, clerk_org_id=organization.id, clerk_updated_at=organization.updated_at
    )
    statement = statement.on_conflict_do_update(
        index_elements=["clerk_org_id"],
        set_={
            "name": statement.excluded.name,
            "clerk_updated_at": func.coalesce(statement.excluded.clerk_updated_at, Organization.clerk_updated_at),
            "updated_at": func.now(),
        },
        where=Organization.deleted_at.is_(None)
        & or_(
            Organization.clerk_updated_at.is_(None),
            statement.excluded.clerk_updated_at.is_(None),
            Organization.clerk_updated_at < statement.excluded.clerk_updated_at,
        ),
    )
    applied = await session.scalar(statement.returning(Organization.id))
    return "organization_upserted" if applied is not None else "stale"


async def delete_organization(session: AsyncSession, clerk_org_id: str) -> str:
    """Every membership becomes a tombstone and every tutor link is revoked; an organisation never
    seen is remembered as deleted, so a late `organization.created` cannot bring it back."""
    statement = insert(Organization).values(name=clerk_org_id[:200], clerk_org_id=clerk_org_id, deleted_at=func.now())
    statement = statement.on_conflict_do_update(
        index_elements=["clerk_org_id"],
        set_={"deleted_at": func.coalesce(Organization.deleted_at, func.now()), "updated_at": func.now()},
    )
    # An upsert that updates on conflict returns its row either way.
    organization_id = (await session.execute(statement.returning(Organization.id))).scalar_one()
    await session.execute(
        update(Membership)
        .where(Membership.organization_id == organization_id, Membership.removed_at.is_(None))
        .values(removed_at=func.now())
    )
    await revoke_tutor_links(session, organization_id)
    return "organization_deleted"


async def apply_membership(session: AsyncSession, membership: ClerkMembership) -> str:
    target = await _membership_target(session, membership)
    if target is None:
        return "ignored"
    organization_id, user_id = target
    role = role_from_clerk(membership.role)
    inserted = await session.scalar(
        insert(Membership)
        .values(
            organization_id=organization_id,
            user_id=user_id,
            role=role,
            clerk_membership_id=membership.id,
            clerk_updated_at=membership.updated_at,
        )
        .on_conflict_do_nothing(index_elements=["organization_id", "user_id"])
        .returning(Membership.id)
    )
    if inserted is not None:
        return "member_upserted"
    row = await _locked(session, organization_id, user_id)
    if _older(membership.updated_at, row.clerk_updated_at, ties_lose=True):
        return "stale"
    if row.role == Role.tutor and (role != Role.tutor or row.removed_at is not None):
        await revoke_tutor_links(session, organization_id, tutor_id=user_id)
    row.role = role
    row.removed_at = None
    row.clerk_membership_id = membership.id
    row.clerk_updated_at = membership.updated_at or row.clerk_updated_at
    return "member_upserted"


async def remove_membership(session: AsyncSession, membership: ClerkMembership) -> str:
    target = await _membership_target(session, membership, deleting=True)
    if target is None:
        return "ignored"
    organization_id, user_id = target
    # A deletion arriving before its creation leaves the tombstone the creation then cannot undo.
    inserted = await session.scalar(
        insert(Membership)
        .values(
            organization_id=organization_id,
            user_id=user_id,
            role=role_from_clerk(membership.role),
            clerk_membership_id=membership.id,
            clerk_updated_at=membership.updated_at,
            removed_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=["organization_id", "user_id"])
        .returning(Membership.id)
    )
    if inserted is None:
        row = await _locked(session, organization_id, user_id)
        if _older(membership.updated_at, row.clerk_updated_at, ties_lose=False):
            return "stale"
        if row.removed_at is None:
            row.removed_at = func.now()
        row.clerk_updated_at = membership.updated_at or row.clerk_updated_at
    await revoke_tutor_links(session, organization_id, tutor_id=user_id)
    await revoke_tutor_links(session, organization_id, learner_id=user_id)
    return "member_removed"


async def _membership_target(
    session: AsyncSession, membership: ClerkMembership, *, deleting: bool = False
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The organisation's and the person's ids, made on first sight as a late webhook or a first
    request would; None when either is deleted (nothing to apply: a deleted organisation's
    memberships are already tombstones, a deleted person's are erased with them)."""
    if not deleting:
        await apply_organization(session, membership.organization)
    await session.execute(
        insert(Organization)
        .values(name=membership.organization.name, clerk_org_id=membership.organization.id)
        .on_conflict_do_nothing(index_elements=["clerk_org_id"])
    )
    organization = (
        await session.execute(
            select(Organization.id, Organization.deleted_at).where(
                Organization.clerk_org_id == membership.organization.id
            )
        )
    ).one()
    person = membership.public_user_data
    await session.execute(
        insert(User)
        .values(clerk_id=person.user_id, display_name=person.display_name)
        .on_conflict_do_nothing(index_elements=["clerk_id"])
    )
    user = (await session.execute(select(User.id, User.deleted_at).where(User.clerk_id == person.user_id))).one()
    if organization.deleted_at is not None or user.deleted_at is not None:
        return None
    # Clerk never moves a membership id to another organisation or person; a delivery that does
    # describes nothing we hold and is left out (retrying its unique-key clash would never end).
    holder = (
        await session.execute(
            select(Membership.organization_id, Membership.user_id).where(
                Membership.clerk_membership_id == membership.id
            )
        )
    ).first()
    if holder is not None and tuple(holder) != (organization.id, user.id):
        log.warning("Clerk membership %s names another organisation or person than before: ignored", membership.id)
        return None
    return organization.id, user.id


async def _locked(session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID) -> Membership:
    return (
        await session.scalars(
            select(Membership)
            .where(Membership.organization_id == organization_id, Membership.user_id == user_id)
            .with_for_update()
        )
    ).one()


def _older(incoming: int | None, applied: int | None, *, ties_lose: bool) -> bool:
    if incoming is None or applied is None:
        return False
    return incoming < applied or (ties_lose and incoming == applied)
