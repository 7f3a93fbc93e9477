"""Assignments: given by a tutor or an admin, seen by the learners they are for."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from sqlalchemy import select

from api.deps import AdmissionDep, ClockDep, CurrentUserDep, SessionDep, SettingsDep
from api.errors import ApiError
from api.openapi_errors import CONFLICT, FORBIDDEN, NOT_FOUND, RATE_LIMITED
from api.schemas.organizations import (
    AssignmentCreate,
    AssignmentList,
    AssignmentOpened,
    AssignmentTargetView,
    AssignmentView,
)
from db.models import Assignment, AssignmentTarget
from services import assignments
from studyflow.local_day import today_in
from studyflow.statuses import AssignmentKind

router = APIRouter(prefix="/v1/assignments", tags=["assignments"])


def _view(assignment: Assignment, mine: AssignmentTarget | None = None, targets=None) -> AssignmentView:
    return AssignmentView(
        id=assignment.id,
        organization_id=assignment.organization_id,
        kind=assignment.kind,
        title=assignment.title,
        course_id=assignment.course_id,
        study_content_id=assignment.study_content_id,
        learner_id=assignment.learner_id,
        group_id=assignment.group_id,
        due_date=assignment.due_date,
        note=assignment.note,
        created_by=assignment.created_by,
        created_at=assignment.created_at,
        my_status=mine.status if mine else None,
        my_score_pct=float(mine.score_pct) if mine and mine.score_pct is not None else None,
        targets=[AssignmentTargetView(**t.__dict__) for t in targets] if targets is not None else None,
    )


@router.post("", status_code=201, response_model=AssignmentView, responses={**NOT_FOUND, **FORBIDDEN})
async def assign(body: AssignmentCreate, admission: AdmissionDep) -> AssignmentView:
    if (body.learner_id is None) == (body.group_id is None):
        raise ApiError(422, "name exactly one of learner_id and group_id")
    assignment = await assignments.assign(
        admission,
        assignments.AssignmentSpec(
            kind=body.kind,
            course_id=body.course_id,
            learner_id=body.learner_id,
            group_id=body.group_id,
            due_date=body.due_date,
            note=body.note,
            study_content_id=body.study_content_id,
        ),
    )
    await admission.session.refresh(assignment)
    return _view(assignment)


@router.get("", response_model=AssignmentList)
async def list_assignments(user: CurrentUserDep, session: SessionDep) -> AssignmentList:
    return AssignmentList(assignments=[_view(a, t) for a, t in await assignments.assignments_for(session, user)])


@router.get("/{assignment_id}", response_model=AssignmentView, responses=NOT_FOUND)
async def get_assignment(
    assignment_id: uuid.UUID, user: CurrentUserDep, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> AssignmentView:
    assignment = await assignments.assignment_for(session, user, assignment_id)
    own = await session.scalar(
        select(AssignmentTarget).where(
            AssignmentTarget.assignment_id == assignment.id, AssignmentTarget.learner_id == user.id
        )
    )
    today = today_in(settings.day_timezone, clock())
    sees_all = assignment.created_by == user.id or user.is_admin
    return _view(assignment, own, await assignments.targets(session, assignment, today) if sees_all else None)


@router.post(
    "/{assignment_id}/open",
    response_model=AssignmentOpened,
    responses={200: {"description": "ready"}, 202: {"description": "being made"}, **CONFLICT, **RATE_LIMITED},
)
async def open_assignment(assignment_id: uuid.UUID, response: Response, admission: AdmissionDep) -> AssignmentOpened:
    """The learner opens it: its quiz or set is made now if nobody has yet (once, however many
    open it at once)."""
    admitted = await assignments.open_assignment(admission, assignment_id)
    assignment = await admission.session.get_one(Assignment, assignment_id)
    if admitted is None:
        return AssignmentOpened(
            assignment_id=assignment_id,
            kind=AssignmentKind(assignment.kind),
            course_id=assignment.course_id,
            study_content_id=None,
            status="ready",
            status_url=f"/v1/courses/{assignment.course_id}",
        )
    response.status_code = 200 if admitted.status == "completed" else 202
    return AssignmentOpened(
        assignment_id=assignment_id,
        kind=AssignmentKind(assignment.kind),
        course_id=assignment.course_id,
        study_content_id=admitted.content_id,
        status=admitted.status,
        status_url=f"/v1/study-content/{admitted.content_id}",
    )
