"""A hand-off from the tutor chat: read by its learner and the tutor it was sent to, sent by the
learner, decided by the tutor."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import AdmissionDep, CurrentUserDep, SessionDep, SettingsDep
from api.openapi_errors import CONFLICT, FORBIDDEN, NOT_FOUND
from api.schemas.organizations import HandoffDecision, HandoffSend, HandoffView
from api.views.handoffs import handoff_view
from services import handoffs

router = APIRouter(prefix="/v1/tutor-handoffs", tags=["tutor chat"])


@router.get("/{handoff_id}", response_model=HandoffView, responses=NOT_FOUND)
async def get_handoff(handoff_id: uuid.UUID, user: CurrentUserDep, session: SessionDep) -> HandoffView:
    return handoff_view(await handoffs.handoff_for(session, user, handoff_id))


@router.post("/{handoff_id}/send", response_model=HandoffView, responses={**NOT_FOUND, **CONFLICT, **FORBIDDEN})
async def send_handoff(
    handoff_id: uuid.UUID, admission: AdmissionDep, body: HandoffSend = HandoffSend()
) -> HandoffView:
    """The learner sends it to their tutor (409, saying so plainly, when they have none)."""
    handoff = await handoffs.send(admission, handoff_id, body.tutor_id)
    await admission.session.refresh(handoff)
    return handoff_view(handoff)


@router.post("/{handoff_id}/decision", response_model=HandoffView, responses={**NOT_FOUND, **CONFLICT, **FORBIDDEN})
async def decide_handoff(
    handoff_id: uuid.UUID, body: HandoffDecision, user: CurrentUserDep, session: SessionDep, settings: SettingsDep
) -> HandoffView:
    handoff = await handoffs.decide(session, user, handoff_id, body.decision, body.note, settings.day_timezone)
    await session.refresh(handoff)
    return handoff_view(handoff)
