"""The reviewer's queue of uncertain free-text grades. A task is visible to the reviewer it is
assigned to and nobody else (404): the seam the tutors' policy module takes over at merge."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import CurrentUserDep, SessionDep, SettingsDep, TemporalDep
from api.grading_views import review_task
from api.openapi_errors import CONFLICT, NOT_FOUND
from api.schemas.grading import ReviewDone, ReviewGrade, ReviewQueue, ReviewTask
from services import grading

router = APIRouter(prefix="/v1/grading-reviews", tags=["grading reviews"])


@router.get("", response_model=ReviewQueue)
async def review_queue(user: CurrentUserDep, session: SessionDep, settings: SettingsDep) -> ReviewQueue:
    entries = await grading.review_queue(session, user)
    return ReviewQueue(
        tasks=[review_task(e.review, e.learner_name, settings.grading_review_timeout_hours) for e in entries]
    )


@router.get("/{review_id}", response_model=ReviewTask, responses={**NOT_FOUND})
async def get_review(
    review_id: uuid.UUID, user: CurrentUserDep, session: SessionDep, settings: SettingsDep
) -> ReviewTask:
    review = await grading.assigned_review(session, user, review_id)
    return review_task(review, "", settings.grading_review_timeout_hours)


@router.post("/{review_id}/grade", response_model=ReviewDone, responses={**NOT_FOUND, **CONFLICT})
async def grade_review(
    review_id: uuid.UUID, body: ReviewGrade, user: CurrentUserDep, session: SessionDep, temporal: TemporalDep
) -> ReviewDone:
    """The reviewer's grade, per rubric point: it becomes the final grade (the learner's mastery
    moves with it, once) and is kept as a label. 409 once the grade is final (graded, or the
    review window closed)."""
    result = await grading.submit_review(session, temporal, user, review_id, body.scores)
    return ReviewDone(id=review_id, **result.model_dump())
