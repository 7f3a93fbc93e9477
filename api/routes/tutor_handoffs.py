"""What a human tutor reads before a session with a learner the chat routed to them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import CurrentUserDep, SessionDep
from api.errors import ApiError
from api.schemas.conversations import TutorHandoffView
from db.models import TutorHandoff

router = APIRouter(prefix="/v1/tutor-handoffs", tags=["tutor chat"])


@router.get("/{handoff_id}", response_model=TutorHandoffView)
async def get_handoff(handoff_id: uuid.UUID, user: CurrentUserDep, session: SessionDep) -> TutorHandoffView:
    handoff = await session.scalar(
        select(TutorHandoff).where(TutorHandoff.id == handoff_id, TutorHandoff.owner_id == user.id)
    )
    if handoff is None:
        raise ApiError(404, f"tutor hand-off {handoff_id} not found")
    return TutorHandoffView(
        id=handoff.id,
        conversation_id=handoff.conversation_id,
        reason=handoff.reason,
        summary=handoff.summary,
        created_at=handoff.created_at,
        updated_at=handoff.updated_at,
    )
