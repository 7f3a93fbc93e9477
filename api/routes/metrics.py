from __future__ import annotations

import hmac
import os

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from api.deps import SettingsDep
from api.errors import ApiError
from api.process_metrics import MULTIPROC_DIR
from api.status_gauges import CachedStatusMetrics

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


# Not in the OpenAPI document: it is for Prometheus, not for clients. Scrape it on the private
# network (as compose does), and set METRICS_TOKEN wherever the API's port is reachable from
# outside: then only a scraper with the token reads it.
@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, settings: SettingsDep) -> Response:
    if settings.metrics_token is not None:
        expected = f"Bearer {settings.metrics_token.get_secret_value()}".encode()
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            raise ApiError(401, "metrics need the scraper's bearer token (METRICS_TOKEN)")
    state = request.app.state
    if getattr(state, "status_metrics", None) is None:
        state.status_metrics = CachedStatusMetrics(state.session_factory, settings.metrics_rows_cache_seconds)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape(await state.status_metrics.get()))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
