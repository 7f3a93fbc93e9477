from __future__ import annotations

import uuid

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import AdmissionDep, CurrentUserDep, SessionDep
from api.openapi_errors import CONFLICT, NOT_FOUND, RATE_LIMITED
from api.schemas.goals import (
    SuggestionAccept,
    SuggestionAccepted,
    SuggestionList,
    SuggestionView,
)
from api.views.courses import course_accepted
from api.views.goals import load_goal_view
from db.models import SubjectSuggestion
from services import suggestions
from services.owned import owned_suggestion

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
    responses={**NOT_FOUND, **CONFLICT, **RATE_LIMITED},
)
async def accept_suggestion(
    suggestion_id: uuid.UUID,
    admission: AdmissionDep,
    body: SuggestionAccept = SuggestionAccept(),
) -> SuggestionAccepted:
    """Makes the suggested course (the normal daily quota applies: over it, 429 and nothing is
    made) with a goal to finish it within `days`."""
    session = admission.session
    suggestion = await owned_suggestion(session, suggestion_id, admission.actor, lock=True)
    admitted, goal_id = await suggestions.accept(
        admission,
        suggestion,
        days=body.days,
        course_type=body.course_type.value,
        difficulty=body.difficulty.value,
    )
    await session.refresh(suggestion)
    return SuggestionAccepted(
        suggestion=SuggestionView.model_validate(suggestion),
        course=course_accepted(admitted),
        goal=await load_goal_view(session, admission.settings, admission.actor.id, goal_id, admission.today),
    )


@router.post("/{suggestion_id}/dismiss", response_model=SuggestionView, responses={**NOT_FOUND, **CONFLICT})
async def dismiss_suggestion(suggestion_id: uuid.UUID, admission: AdmissionDep) -> SuggestionView:
    suggestion = await owned_suggestion(admission.session, suggestion_id, admission.actor, lock=True)
    await suggestions.dismiss(admission, suggestion)
    await admission.session.refresh(suggestion)
    return SuggestionView.model_validate(suggestion)
