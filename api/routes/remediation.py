from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import CurrentUserDep, SessionDep
from api.owned import owned_remediation_plan
from api.schemas.attempts import RemediationView

router = APIRouter(prefix="/v1/remediation", tags=["weak areas"])


@router.get("/{plan_id}", response_model=RemediationView)
async def get_remediation(
    plan_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
) -> RemediationView:
    plan = await owned_remediation_plan(session, plan_id, user)
    return RemediationView(
        id=plan.id,
        quiz_attempt_id=plan.quiz_attempt_id,
        course_id=plan.course_id,
        status=plan.status,
        error=plan.error,
        retry_count=plan.retry_count,
        topics=(plan.plan or {}).get("topics", []),
    )
