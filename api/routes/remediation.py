from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.conditional import NOT_MODIFIED, conditional_json
from api.deps import PrincipalDep
from api.errors import ApiError
from api.learner_read import read_as_learner
from api.openapi_errors import NOT_FOUND
from api.schemas.attempts import RemediationView
from db.models import RemediationPlan
from db.polled_reads import REMEDIATION_PLAN
from services.actor import Actor
from services.policy import Action, LearnerData, authorize

router = APIRouter(prefix="/v1/remediation", tags=["weak areas"])


@router.get("/{plan_id}", response_model=RemediationView, responses={**NOT_FOUND, **NOT_MODIFIED})
async def get_remediation(plan_id: uuid.UUID, request: Request, principal: PrincipalDep) -> Response:
    plan = await read_as_learner(
        request,
        principal,
        REMEDIATION_PLAN,
        what=f"remediation plan {plan_id}",
        owner_of=lambda session, actor: _plan_owner(session, actor, plan_id),
        plan_id=plan_id,
    )
    view = RemediationView(
        id=plan["id"],
        quiz_attempt_id=plan["quiz_attempt_id"],
        course_id=plan["course_id"],
        status=plan["status"],
        error=plan["error"],
        retry_count=plan["retry_count"],
        topics=(plan["plan"] or {}).get("topics", []),
    )
    return conditional_json(request, view)


async def _plan_owner(session: AsyncSession, actor: Actor, plan_id: uuid.UUID) -> uuid.UUID:
    owner_id = await session.scalar(select(RemediationPlan.user_id).where(RemediationPlan.id == plan_id))
    what = f"remediation plan {plan_id}"
    if owner_id is None:
        raise ApiError(404, f"{what} not found")
    await authorize(session, actor, owner_id, LearnerData.remediation, Action.read, what)
    return owner_id
