"""Giving work to learners and opening it. A tutor assigns their own course (or its quiz, its
flashcards, a practice set) to a learner linked to them or to a group they made; an admin to any
learner or group of the organisation. A group's assignment fans out in a workflow. The quiz or
set behind an assignment is made once, by the first learner who opens it: the (course, type) row
is the single flight, however many open it at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Assignment, AssignmentTarget, Group, StudyContent, User
from services.actor import Actor
from services.admission import Admission
from services.assignment_targets import give
from services.errors import ServiceError
from services.organizations import role_of
from services.outbox import StartRequest
from services.owned import owned_course
from services.policy import Action, OrgResource, Relation, authorize_org, relation_to
from services.study_content import ContentAdmitted, request_study_content
from studyflow import search_attributes, workflow_ids, workflow_types
from studyflow.contracts.workflow_inputs import AssignmentFanOutInput
from studyflow.statuses import AssignmentKind, AssignmentStatus, Role, StudyContentType, SubjectKind

_CONTENT_TYPE = {
    AssignmentKind.quiz: StudyContentType.quiz,
    AssignmentKind.practice_set: StudyContentType.quiz,
    AssignmentKind.flashcards: StudyContentType.flashcards,
}


@dataclass(frozen=True)
class AssignmentSpec:
    kind: AssignmentKind
    course_id: uuid.UUID
    learner_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    due_date: date | None = None
    note: str | None = None
    study_content_id: uuid.UUID | None = None  # a practice set made beforehand


@dataclass(frozen=True)
class TargetRow:
    learner_id: uuid.UUID
    learner_name: str
    status: AssignmentStatus
    score_pct: float | None
    completed_at: object
    overdue: bool


async def assign(admission: Admission, spec: AssignmentSpec) -> Assignment:
    session, actor = admission.session, admission.actor
    if actor.organization_id is None:
        raise ServiceError(403, "assignments are given within an organisation: switch to one")
    org = actor.organization_id
    authorize_org(actor, org, OrgResource.assignments, Action.change, f"organisation {org}")
    if spec.due_date is not None and spec.due_date < admission.today:
        raise ServiceError(422, f"due_date {spec.due_date} is in the past (today is {admission.today})")
    course = await owned_course(session, spec.course_id, actor, Action.change)
    title = (course.outline or {}).get("title") or course.topic
    if spec.kind != AssignmentKind.course:
        title = f"{spec.kind.value.replace('_', ' ').capitalize()}: {title}"
    if spec.study_content_id is not None:
        content = await session.get(StudyContent, spec.study_content_id)
        if content is None or content.course_id != course.id:
            raise ServiceError(422, "study_content_id must be a set of the assigned course")
    if spec.learner_id is not None:
        await _may_assign_to_learner(session, actor, org, spec.learner_id)
    else:
        group = await session.get(Group, spec.group_id)
        if group is None or group.organization_id != org:
            raise ServiceError(404, f"group {spec.group_id} not found")
        if actor.role == Role.tutor and group.created_by != actor.id:
            raise ServiceError(403, f"group {group.name!r} is another tutor's")
    assignment = Assignment(
        id=uuid.uuid4(),
        organization_id=org,
        created_by=actor.id,
        kind=spec.kind,
        course_id=course.id,
        study_content_id=spec.study_content_id,
        learner_id=spec.learner_id,
        group_id=spec.group_id,
        title=title[:300],
        due_date=spec.due_date,
        note=spec.note,
    )
    session.add(assignment)
    await session.flush()
    if spec.learner_id is not None:
        await give(session, assignment, [spec.learner_id])
    else:
        await admission.record(
            StartRequest(
                workflow_type=workflow_types.ASSIGNMENT_FAN_OUT,
                argument=AssignmentFanOutInput(assignment_id=assignment.id),
                workflow_id=workflow_ids.assignment_fan_out(assignment.id),
                task_queue=admission.settings.task_queue_interactive,
                search_attributes=search_attributes.for_user(actor.id),
                subject_kind=SubjectKind.assignment,
                subject_id=assignment.id,
            )
        )
    await admission.commit()
    return assignment


async def _may_assign_to_learner(session: AsyncSession, actor: Actor, org: uuid.UUID, learner_id: uuid.UUID) -> None:
    if await role_of(session, org, learner_id) != Role.learner:
        raise ServiceError(404, f"learner {learner_id} not found in this organisation")
    if actor.role == Role.tutor and await relation_to(session, actor, learner_id) != Relation.tutor:
        raise ServiceError(403, f"learner {learner_id} is not linked to you")


async def assignment_for(session: AsyncSession, actor: Actor, assignment_id: uuid.UUID) -> Assignment:
    """Its author and the organisation's admins see it whole; a learner sees it if it is theirs."""
    assignment = await session.get(Assignment, assignment_id)
    what = f"assignment {assignment_id}"
    if assignment is None or actor.organization_id != assignment.organization_id:
        raise ServiceError(404, f"{what} not found")
    if actor.role == Role.admin or assignment.created_by == actor.id:
        return assignment
    mine = await session.scalar(
        select(AssignmentTarget.id).where(
            AssignmentTarget.assignment_id == assignment_id, AssignmentTarget.learner_id == actor.id
        )
    )
    if mine is None:
        raise ServiceError(404 if actor.role == Role.learner else 403, f"{what} not found")
    return assignment


async def open_assignment(admission: Admission, assignment_id: uuid.UUID) -> ContentAdmitted | None:
    """The learner opens their assignment: its quiz or set is made now if nobody has (one
    generation however many open it at once). A course assignment has nothing to make."""
    assignment = await assignment_for(admission.session, admission.actor, assignment_id)
    kind = AssignmentKind(assignment.kind)
    if kind == AssignmentKind.course:
        await admission.commit()
        return None
    course = await owned_course(admission.session, assignment.course_id, admission.actor, Action.study)
    admitted = await request_study_content(admission, course, _CONTENT_TYPE[kind].value)
    if assignment.study_content_id is None:
        await admission.session.execute(
            update(Assignment)
            .where(Assignment.id == assignment.id, Assignment.study_content_id.is_(None))
            .values(study_content_id=admitted.content_id)
        )
        await admission.session.commit()
    return admitted


async def targets(session: AsyncSession, assignment: Assignment, today: date) -> list[TargetRow]:
    rows = await session.execute(
        select(
            AssignmentTarget.learner_id,
            func.coalesce(User.display_name, User.clerk_id),
            AssignmentTarget.status,
            AssignmentTarget.score_pct,
            AssignmentTarget.completed_at,
        )
        .join(User, User.id == AssignmentTarget.learner_id)
        .where(AssignmentTarget.assignment_id == assignment.id)
        .order_by(User.display_name, User.clerk_id)
    )
    overdue = assignment.due_date is not None and assignment.due_date < today
    return [
        TargetRow(
            learner_id=r[0],
            learner_name=r[1],
            status=AssignmentStatus(r[2]),
            score_pct=float(r[3]) if r[3] is not None else None,
            completed_at=r[4],
            overdue=overdue and r[2] == AssignmentStatus.open,
        )
        for r in rows
    ]


async def assignments_for(session: AsyncSession, actor: Actor) -> list[tuple[Assignment, AssignmentTarget | None]]:
    """A learner's assignments (with their own status), or the ones a tutor or admin gave."""
    if actor.organization_id is None:
        return []
    mine = (
        select(Assignment, AssignmentTarget)
        .outerjoin(
            AssignmentTarget,
            (AssignmentTarget.assignment_id == Assignment.id) & (AssignmentTarget.learner_id == actor.id),
        )
        .where(Assignment.organization_id == actor.organization_id)
    )
    if actor.role == Role.learner:
        mine = mine.where(AssignmentTarget.id.is_not(None))
    elif actor.role == Role.tutor:
        mine = mine.where(or_(Assignment.created_by == actor.id, AssignmentTarget.id.is_not(None)))
    rows = await session.execute(mine.order_by(Assignment.due_date.asc().nulls_last(), Assignment.created_at.desc()))
    return [(a, t) for a, t in rows]
