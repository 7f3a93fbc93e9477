"""Organisations: the ones a person belongs to, their members and roles, invitations, tutor–learner
links and groups. Who may do what is decided in services/policy.py."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Request, Response

from api.deps import CurrentUserDep, SessionDep
from api.openapi_errors import CONFLICT, FORBIDDEN, GONE, NOT_FOUND, Responses
from api.schemas.organizations import (
    GroupCreate,
    GroupList,
    GroupMemberAdd,
    GroupMemberView,
    GroupView,
    InvitationAccepted,
    InvitationCreate,
    InvitationIssued,
    InvitationPreview,
    MemberList,
    MemberView,
    OrganizationCreate,
    OrganizationList,
    OrganizationView,
    RoleChange,
    TutorLinkCreate,
    TutorLinkList,
    TutorLinkView,
)
from services import groups, invitations, organizations, tutor_links
from services.policy import Action

router = APIRouter(prefix="/v1", tags=["organisations"])
ERRORS: Responses = {**NOT_FOUND, **FORBIDDEN, **CONFLICT}


@router.get("/organizations", response_model=OrganizationList)
async def my_organizations(user: CurrentUserDep, session: SessionDep) -> OrganizationList:
    return OrganizationList(
        organizations=[
            OrganizationView(
                id=org.id, name=org.name, role=role, external_id=org.clerk_org_id, active=org.id == user.organization_id
            )
            for org, role in await organizations.memberships_of(session, user.id)
        ],
        active_organization_id=user.organization_id,
        active_role=user.role,
    )


@router.post("/organizations", status_code=201, response_model=OrganizationView)
async def create_organization(body: OrganizationCreate, user: CurrentUserDep, session: SessionDep) -> OrganizationView:
    org = await organizations.create_organization(session, user, body.name)
    return OrganizationView(id=org.id, name=org.name, role="admin", external_id=org.clerk_org_id, active=False)


@router.get("/organizations/{organization_id}/members", response_model=MemberList, responses=ERRORS)
async def members(organization_id: uuid.UUID, user: CurrentUserDep, session: SessionDep) -> MemberList:
    rows = await organizations.members(session, user, organization_id)
    return MemberList(
        members=[
            MemberView(user_id=m.user_id, clerk_id=m.clerk_id, name=m.display_name or m.clerk_id, role=m.role)
            for m in rows
        ]
    )


@router.patch("/organizations/{organization_id}/members/{user_id}", status_code=204, responses=ERRORS)
async def change_role(
    organization_id: uuid.UUID, user_id: uuid.UUID, body: RoleChange, user: CurrentUserDep, session: SessionDep
) -> Response:
    await organizations.change_role(session, user, organization_id, user_id, body.role)
    return Response(status_code=204)


@router.delete("/organizations/{organization_id}/members/{user_id}", status_code=204, responses=ERRORS)
async def remove_member(
    organization_id: uuid.UUID, user_id: uuid.UUID, user: CurrentUserDep, session: SessionDep
) -> Response:
    await organizations.remove_member(session, user, organization_id, user_id)
    return Response(status_code=204)


@router.post(
    "/organizations/{organization_id}/invitations", status_code=201, response_model=InvitationIssued, responses=ERRORS
)
async def invite(
    organization_id: uuid.UUID, body: InvitationCreate, request: Request, user: CurrentUserDep, session: SessionDep
) -> InvitationIssued:
    issued = await invitations.invite(
        session, user, organization_id, body.role, valid_for=timedelta(days=body.valid_days), note=body.note
    )
    return InvitationIssued(
        id=issued.invitation.id,
        token=issued.token,
        accept_url=f"/invitations/{issued.token}",
        role=issued.invitation.role,
        links_to_tutor=issued.invitation.tutor_id is not None,
        expires_at=issued.invitation.expires_at,
    )


@router.get("/invitations/{token}", response_model=InvitationPreview, responses={**NOT_FOUND, **CONFLICT, **GONE})
async def preview_invitation(token: str, user: CurrentUserDep, session: SessionDep) -> InvitationPreview:
    found = await invitations.preview(session, token)
    return InvitationPreview(
        organization_name=found.organization_name,
        role=found.role,
        tutor_name=found.tutor_name,
        expires_at=found.expires_at,
    )


@router.post(
    "/invitations/{token}/accept", response_model=InvitationAccepted, responses={**NOT_FOUND, **CONFLICT, **GONE}
)
async def accept_invitation(token: str, user: CurrentUserDep, session: SessionDep) -> InvitationAccepted:
    organization_id, role = await invitations.accept(session, user, token)
    org = await session.get_one(organizations.Organization, organization_id)
    return InvitationAccepted(organization_id=organization_id, external_id=org.clerk_org_id, role=role)


@router.post(
    "/organizations/{organization_id}/tutor-links", status_code=201, response_model=TutorLinkView, responses=ERRORS
)
async def link(
    organization_id: uuid.UUID, body: TutorLinkCreate, user: CurrentUserDep, session: SessionDep
) -> TutorLinkView:
    link_id = await tutor_links.link_by_admin(session, user, organization_id, body.tutor_id, body.learner_id)
    view = next(v for v in await tutor_links.links_of(session, body.learner_id) if v.id == link_id)
    return TutorLinkView(**view.__dict__)


@router.delete("/tutor-links/{link_id}", status_code=204, responses=ERRORS)
async def unlink(link_id: uuid.UUID, user: CurrentUserDep, session: SessionDep) -> Response:
    await tutor_links.revoke(session, user, link_id)
    return Response(status_code=204)


@router.get("/me/tutors", response_model=TutorLinkList)
async def my_tutors(user: CurrentUserDep, session: SessionDep) -> TutorLinkList:
    """Which tutors may see what of the signed-in learner's data."""
    return TutorLinkList(links=[TutorLinkView(**v.__dict__) for v in await tutor_links.links_of(session, user.id)])


@router.get("/organizations/{organization_id}/groups", response_model=GroupList, responses=ERRORS)
async def list_groups(organization_id: uuid.UUID, user: CurrentUserDep, session: SessionDep) -> GroupList:
    return GroupList(
        groups=[
            GroupView(
                id=g.id,
                name=g.name,
                created_by=g.created_by,
                members=[GroupMemberView(user_id=m, name=n) for m, n in g.members],
            )
            for g in await groups.groups_of(session, user, organization_id)
        ]
    )


@router.post("/organizations/{organization_id}/groups", status_code=201, response_model=GroupView, responses=ERRORS)
async def create_group(
    organization_id: uuid.UUID, body: GroupCreate, user: CurrentUserDep, session: SessionDep
) -> GroupView:
    group = await groups.create_group(session, user, organization_id, body.name)
    return GroupView(id=group.id, name=group.name, created_by=group.created_by, members=[])


@router.post("/groups/{group_id}/members", status_code=204, responses=ERRORS)
async def add_group_member(
    group_id: uuid.UUID, body: GroupMemberAdd, user: CurrentUserDep, session: SessionDep
) -> Response:
    await groups.add_member(session, user, group_id, body.learner_id)
    return Response(status_code=204)


@router.delete("/groups/{group_id}/members/{learner_id}", status_code=204, responses=ERRORS)
async def remove_group_member(
    group_id: uuid.UUID, learner_id: uuid.UUID, user: CurrentUserDep, session: SessionDep
) -> Response:
    await groups.remove_member(session, user, group_id, learner_id)
    return Response(status_code=204)


__all__ = ["router", "Action"]
