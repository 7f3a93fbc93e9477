"""Groups of learners in an organisation: made by its admins, or by a tutor for learners linked to
them. A learner added to a group gets the group's open assignments at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Group, GroupMember, User
from services.actor import Actor
from services.assignment_targets import give_open_assignments
from services.errors import ServiceError
from services.organizations import role_of
from services.policy import Action, OrgResource, Relation, authorize_org, relation_to
from studyflow.statuses import Role


@dataclass(frozen=True)
class GroupView:
    id: uuid.UUID
    name: str
    created_by: uuid.UUID | None
    members: list[tuple[uuid.UUID, str]]


async def create_group(session: AsyncSession, actor: Actor, organization_id: uuid.UUID, name: str) -> Group:
    authorize_org(actor, organization_id, OrgResource.groups, Action.change, f"organisation {organization_id}")
    group = Group(organization_id=organization_id, name=name, created_by=actor.id)
    session.add(group)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise ServiceError(409, f"a group named {name!r} exists in this organisation") from None
    return group


async def group_for(session: AsyncSession, actor: Actor, group_id: uuid.UUID, action: Action) -> Group:
    group = await session.get(Group, group_id)
    what = f"group {group_id}"
    if group is None:
        raise ServiceError(404, f"{what} not found")
    authorize_org(actor, group.organization_id, OrgResource.groups, action, what)
    if action == Action.change and actor.role == Role.tutor and group.created_by != actor.id:
        raise ServiceError(403, f"{what} is another tutor's: ask them or an admin")
    return group


async def add_member(session: AsyncSession, actor: Actor, group_id: uuid.UUID, learner_id: uuid.UUID) -> None:
    group = await group_for(session, actor, group_id, Action.change)
    if await role_of(session, group.organization_id, learner_id) != Role.learner:
        raise ServiceError(422, f"{learner_id} is not a learner of this organisation")
    if actor.role == Role.tutor and await relation_to(session, actor, learner_id) != Relation.tutor:
        raise ServiceError(403, f"learner {learner_id} is not linked to you")
    await session.execute(insert(GroupMember).values(group_id=group.id, user_id=learner_id).on_conflict_do_nothing())
    await give_open_assignments(session, group.id, learner_id)
    await session.commit()


async def remove_member(session: AsyncSession, actor: Actor, group_id: uuid.UUID, learner_id: uuid.UUID) -> None:
    group = await group_for(session, actor, group_id, Action.change)
    await session.execute(
        delete(GroupMember).where(GroupMember.group_id == group.id, GroupMember.user_id == learner_id)
    )
    await session.commit()


async def groups_of(session: AsyncSession, actor: Actor, organization_id: uuid.UUID) -> list[GroupView]:
    authorize_org(actor, organization_id, OrgResource.groups, Action.read, f"organisation {organization_id}")
    groups = list(
        await session.scalars(select(Group).where(Group.organization_id == organization_id).order_by(Group.name))
    )
    members: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {g.id: [] for g in groups}
    for group_id, user_id, name in await session.execute(
        select(GroupMember.group_id, User.id, func.coalesce(User.display_name, User.clerk_id))
        .join(User, User.id == GroupMember.user_id)
        .where(GroupMember.group_id.in_(list(members)))
        .order_by(User.display_name, User.clerk_id)
    ):
        members[group_id].append((user_id, name))
    return [GroupView(g.id, g.name, g.created_by, members[g.id]) for g in groups]
