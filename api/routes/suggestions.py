from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select, update

from api.course_start import CourseRequest, start_course
from api.deps import ClockDep, CurrentUserDep, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.llm_budget import within_llm_budget
from api.openapi_errors import CONFLICT, NOT_FOUND, RATE_LIMITED, UNAVAILABLE
from api.owned import owned_suggestion
from api.rate_limit import generation_rate_limit
from api.routes.goals import create_goal, load_goal_view
from api.schemas.goals import (
    CourseByDateGoalCreate,
    SuggestionAccept,
    SuggestionAccepted,
    SuggestionList,
    SuggestionView,
)
from db.models import SubjectSuggestion
from studyflow.local_day import today_in
from studyflow.statuses import SuggestionStatus

router = APIRouter(prefix="/v1/suggestions", tags=["goals"])


@router.get("", response_model=SuggestionList)
async def list_suggestions(
    user: CurrentUserDep,
    session: SessionDep,
    status: str = Query(default="open", pattern="^(open|accepted|dismissed|all)$"),
) -> SuggestionList:
    query = select(SubjectSuggestion).where(SubjectSuggestion.user_id == user.id)
    if status != "all":
        query = query.where(SubjectSuggestion.status == status)
    rows = await session.scalars(
        query.order_by(SubjectSuggestion.created_at.desc(), SubjectSuggestion.position).limit(60)
    )
    return SuggestionList(suggestions=[SuggestionView.model_validate(row) for row in rows])


@router.post(
    "/{suggestion_id}/accept",
    status_code=202,
    response_model=SuggestionAccepted,
    dependencies=[Depends(generation_rate_limit), Depends(within_llm_budget)],
    responses={**NOT_FOUND, **CONFLICT, **RATE_LIMITED, **UNAVAILABLE},
)
async def accept_suggestion(
    suggestion_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    clock: ClockDep,
    body: SuggestionAccept = SuggestionAccept(),
) -> SuggestionAccepted:
    """Makes the suggested course (the normal daily quota applies: over it, 429 and nothing is
    made) with a goal to finish it within `days`."""
    today = today_in(settings.day_timezone, clock())
    due = today + timedelta(days=body.days - 1)  # today counts: within 1 day means by today
    suggestion = await owned_suggestion(session, suggestion_id, user, lock=True)
    if suggestion.status != SuggestionStatus.open:
        raise ApiError(409, f"suggestion {suggestion_id} is already {suggestion.status}")
    goal_ids: list[uuid.UUID] = []

    async def goal_and_decision(course_id: uuid.UUID) -> None:
        goal = await create_goal(
            session, user, CourseByDateGoalCreate(kind="course_by_date", course_id=course_id, due_date=due), today
        )
        goal_ids.append(goal.id)
        suggestion.status, suggestion.course_id, suggestion.decided_at = (
            SuggestionStatus.accepted,
            course_id,
            func.now(),
        )

    request = CourseRequest(
        topic=suggestion.topic, course_type=body.course_type.value, difficulty=body.difficulty.value
    )
    try:
        accepted = await start_course(session, temporal, settings, user, request, with_rows=goal_and_decision)
    except ApiError as exc:
        if exc.status == 503:  # the course and its goal were taken back: the suggestion is open again
            await session.execute(
                update(SubjectSuggestion)
                .where(SubjectSuggestion.id == suggestion_id)
                .values(status=SuggestionStatus.open, course_id=None, decided_at=None)
            )
            await session.commit()
        raise
    await session.refresh(suggestion)
    return SuggestionAccepted(
        suggestion=SuggestionView.model_validate(suggestion),
        course=accepted,
        goal=await load_goal_view(session, settings, user.id, goal_ids[0], today),
    )


@router.post("/{suggestion_id}/dismiss", response_model=SuggestionView, responses={**NOT_FOUND, **CONFLICT})
async def dismiss_suggestion(suggestion_id: uuid.UUID, user: CurrentUserDep, session: SessionDep) -> SuggestionView:
    suggestion = await owned_suggestion(session, suggestion_id, user, lock=True)
    if suggestion.status == SuggestionStatus.accepted:
        raise ApiError(409, f"suggestion {suggestion_id} was accepted; delete its course instead")
    suggestion.status, suggestion.decided_at = SuggestionStatus.dismissed, func.now()
    await session.commit()
    await session.refresh(suggestion)
    return SuggestionView.model_validate(suggestion)
