"""Who may do what: the one place that decides every (role, resource, action). Routes and services
ask here; no ownership or role check lives anywhere else.

A learner's own data is seen by the learner, by the tutors linked to them in the organisation
the session is in (courses, attempts, mastery, goals, sessions — never chat or files, unless the
learner hands a conversation off), and by that organisation's admins (the same). Changing it is
the learner's alone, except that the tutor linked to them submits the sessions they ran with them
(`Action.submit`: upload, correct or remove a session's transcript). An organisation's own
resources (members, invitations, links, groups, assignments) are managed by its admins; tutors
manage what they create for their learners.
Nothing crosses organisations: another organisation's resource, or another learner's, answers 404
(its existence is not confirmed); an organisation's staff asking beyond their role gets 403."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Assignment, AssignmentTarget, Membership, TutorLink
from services.actor import Actor
from services.errors import ServiceError
from studyflow.statuses import Role


class Action(StrEnum):
    read = "read"
    study = "study"  # use the material: open notes, make and take its quiz, review its cards
    change = "change"  # create, update or delete it
    # Hand in a record of work done with the learner: a tutoring session's transcript (and its
    # corrections, or its removal). The learner may; so may the tutor linked to them, who ran the
    # session — the one change to a learner's data that is a tutor's to make.
    submit = "submit"


class LearnerData(StrEnum):
    course = "course"  # its topics, notes and study content go with it
    attempt = "attempt"
    remediation = "remediation"
    mastery = "mastery"
    goal = "goal"
    suggestion = "suggestion"
    source = "source"
    conversation = "conversation"
    session = "session"  # tutoring sessions (transcripts and their analyses)
    assignment = "assignment"  # what was assigned to the learner, and how it went
    analytics = "analytics"  # improvement figures, added up from the staff-visible data above
    account = "account"  # the dashboard, stats, notifications, plan


class OrgResource(StrEnum):
    members = "members"
    invitations = "invitations"
    tutor_links = "tutor_links"
    groups = "groups"
    assignments = "assignments"
    handoffs = "handoffs"  # hand-offs learners sent to a tutor
    analytics = "analytics"


class Relation(StrEnum):
    """How the actor stands to the learner whose data it is."""

    self = "self"
    tutor = "tutor"  # linked to the learner in the actor's organisation
    admin = "admin"  # of an organisation the learner is a member of
    staff = "staff"  # a tutor of the learner's organisation not linked to them
    peer = "peer"  # another learner of the organisation
    assignee = "assignee"  # a learner the course was assigned to (in the actor's organisation)
    stranger = "stranger"  # anybody else: another organisation, or no organisation


class Outcome(StrEnum):
    allow = "allow"
    forbid = "forbid"  # 403: the actor may know the thing exists, not act on it
    hide = "hide"  # 404: as if it did not exist


# What a linked tutor may hand in for the learner (and correct, or take back).
SUBMITTED_BY_TUTOR = frozenset({LearnerData.session})

# What a linked tutor and an admin may read of a learner's data.
VISIBLE_TO_STAFF = frozenset(
    {
        LearnerData.course,
        LearnerData.attempt,
        LearnerData.remediation,
        LearnerData.mastery,
        LearnerData.goal,
        LearnerData.session,
        LearnerData.assignment,
        LearnerData.analytics,
    }
)


def decide(relation: Relation, data: LearnerData, action: Action) -> Outcome:
    if relation == Relation.self:
        return Outcome.allow
    if relation == Relation.assignee:
        # An assigned course is studied like one's own; it stays its author's to change.
        if data == LearnerData.course and action in (Action.read, Action.study):
            return Outcome.allow
        return Outcome.forbid
    if relation in (Relation.stranger, Relation.peer):
        return Outcome.hide
    if relation == Relation.staff:
        return Outcome.forbid
    if relation == Relation.tutor and action == Action.submit and data in SUBMITTED_BY_TUTOR:
        return Outcome.allow
    # A tutor of the learner, or an admin of their organisation: reading what they may see.
    return Outcome.allow if action == Action.read and data in VISIBLE_TO_STAFF else Outcome.forbid


# (resource, action) → the roles allowed, in the actor's active organisation.
ORG_RULES: dict[tuple[OrgResource, Action], frozenset[Role]] = {
    (OrgResource.members, Action.read): frozenset({Role.admin, Role.tutor}),
    (OrgResource.members, Action.change): frozenset({Role.admin}),
    (OrgResource.invitations, Action.read): frozenset({Role.admin, Role.tutor}),
    # A tutor may only invite learners, who are linked to them on accepting (services/invitations).
    (OrgResource.invitations, Action.change): frozenset({Role.admin, Role.tutor}),
    (OrgResource.tutor_links, Action.read): frozenset({Role.admin, Role.tutor, Role.learner}),
    (OrgResource.tutor_links, Action.change): frozenset({Role.admin}),
    (OrgResource.groups, Action.read): frozenset({Role.admin, Role.tutor}),
    (OrgResource.groups, Action.change): frozenset({Role.admin, Role.tutor}),
    (OrgResource.assignments, Action.read): frozenset({Role.admin, Role.tutor, Role.learner}),
    (OrgResource.assignments, Action.change): frozenset({Role.admin, Role.tutor}),
    (OrgResource.handoffs, Action.read): frozenset({Role.admin, Role.tutor}),
    (OrgResource.handoffs, Action.change): frozenset({Role.admin, Role.tutor}),
    (OrgResource.analytics, Action.read): frozenset({Role.admin, Role.tutor}),
}


def decide_org(actor: Actor, organization_id: uuid.UUID, resource: OrgResource, action: Action) -> Outcome:
    if actor.organization_id is None or actor.organization_id != organization_id:
        return Outcome.hide
    return Outcome.allow if actor.role in ORG_RULES.get((resource, action), frozenset()) else Outcome.forbid


async def relation_to(session: AsyncSession, actor: Actor, learner_id: uuid.UUID) -> Relation:
    if actor.id == learner_id:
        return Relation.self
    org = actor.organization_id
    if org is None or actor.role is None:
        return Relation.stranger
    member = exists().where(
        Membership.organization_id == org, Membership.user_id == learner_id, Membership.removed_at.is_(None)
    )
    linked = exists().where(
        TutorLink.organization_id == org,
        TutorLink.tutor_id == actor.id,
        TutorLink.learner_id == learner_id,
        TutorLink.revoked_at.is_(None),
    )
    is_member, is_linked = (await session.execute(select(member, linked))).one()
    if not is_member:
        return Relation.stranger
    if actor.role == Role.admin:
        return Relation.admin
    if actor.role == Role.tutor:
        return Relation.tutor if is_linked else Relation.staff
    return Relation.peer


async def authorize(
    session: AsyncSession,
    actor: Actor,
    learner_id: uuid.UUID,
    data: LearnerData,
    action: Action,
    what: str,
    *,
    course_id: uuid.UUID | None = None,
) -> Relation:
    """Raises 404 or 403 (naming `what`) unless the actor may; returns how they stand. Given the
    course the data belongs to, a learner it was assigned to stands as its assignee."""
    relation = await relation_to(session, actor, learner_id)
    if course_id is not None and relation in (Relation.peer, Relation.staff, Relation.stranger):
        if await _assigned(session, actor, course_id):
            relation = Relation.assignee
    enforce(decide(relation, data, action), what)
    return relation


async def _assigned(session: AsyncSession, actor: Actor, course_id: uuid.UUID) -> bool:
    if actor.organization_id is None:
        return False
    return bool(
        await session.scalar(
            select(
                exists().where(
                    Assignment.course_id == course_id,
                    Assignment.organization_id == actor.organization_id,
                    AssignmentTarget.assignment_id == Assignment.id,
                    AssignmentTarget.learner_id == actor.id,
                )
            )
        )
    )


def authorize_org(actor: Actor, organization_id: uuid.UUID, resource: OrgResource, action: Action, what: str) -> None:
    enforce(decide_org(actor, organization_id, resource, action), what)


def enforce(outcome: Outcome, what: str) -> None:
    if outcome == Outcome.hide:
        raise ServiceError(404, f"{what} not found")
    if outcome == Outcome.forbid:
        raise ServiceError(403, f"your role does not allow this on {what}")
