"""`GET /v1/estimates`: how long a course, notes, a set or a plan usually takes, so a screen that
waits can say so. The same for every learner and slow to change: computed at most once a minute
per process, and kept out of the ETag'd polled reads (db/polled_reads.py), which stay one cheap
statement each."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request

from api.deps import CurrentUserDep, SessionDep
from api.schemas.estimates import WorkEstimate, WorkEstimates
from db.work_estimates import typical_seconds

router = APIRouter(prefix="/v1/estimates", tags=["progress"])
CACHE_SECONDS = 60


@router.get("", response_model=WorkEstimates)
async def estimates(request: Request, _: CurrentUserDep, session: SessionDep) -> WorkEstimates:
    cached = getattr(request.app.state, "work_estimates", None)
    if cached is None or time.monotonic() - cached[0] > CACHE_SECONDS:
        typical = await typical_seconds(session)
        body = WorkEstimates(
            **{kind: WorkEstimate(typical_seconds=round(s, 1), samples=n) for kind, (s, n) in typical.items()}
        )
        cached = (time.monotonic(), body)
        request.app.state.work_estimates = cached
    return cached[1]
