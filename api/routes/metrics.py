from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import SessionDep
from api.status_gauges import refresh_status_gauges

router = APIRouter(tags=["operations"])


# Not in the OpenAPI document: it is for Prometheus, not for clients. Keep it off the public
# internet (scrape it on the private network, as compose does).
@router.get("/metrics", include_in_schema=False)
async def metrics(session: SessionDep) -> Response:
    await refresh_status_gauges(session)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
