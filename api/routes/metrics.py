from __future__ import annotations

import os

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from api.deps import SessionDep
from api.process_metrics import MULTIPROC_DIR
from api.status_gauges import status_metrics

router = APIRouter(tags=["operations"])


class _Scrape(Collector):
    """One scrape's series: the request metrics of every API process (summed from their files when
    several serve one port, else this process's registry) and the row counts just read."""

    def __init__(self, read_from_database: list) -> None:
        self._read = read_from_database

    def collect(self):
        if os.environ.get(MULTIPROC_DIR):
            yield from MultiProcessCollector(None).collect()
        else:
            yield from REGISTRY.collect()
        yield from self._read


# Not in the OpenAPI document: it is for Prometheus, not for clients. Keep it off the public
# internet (scrape it on the private network, as compose does).
@router.get("/metrics", include_in_schema=False)
async def metrics(session: SessionDep) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape(await status_metrics(session)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
