"""Rows by status and the background backlog, read from the database when Prometheus scrapes:
the truth is in the tables, so the gauges are built from them at each scrape rather than kept in
memory (which several API processes would each hold a different copy of)."""

from __future__ import annotations

import asyncio
import time

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

_COUNTS = text(
    """
    SELECT 'courses', status, count(*) FROM courses GROUP BY status
    UNION ALL SELECT 'topics', status, count(*) FROM topics GROUP BY status
    UNION ALL SELECT 'study_contents', status, count(*) FROM study_contents GROUP BY status
    UNION ALL SELECT 'remediation_plans', status, count(*) FROM remediation_plans GROUP BY status
    UNION ALL SELECT 'sources', status, count(*) FROM sources GROUP BY status
    UNION ALL SELECT 'backlog', 'queued', count(*) FROM topics WHERE background_queued AND status = 'pending'
    """
)


async def status_metrics(session: AsyncSession) -> list[Metric]:
    """A status with no rows left is absent, not stuck at its last count."""
    rows = GaugeMetricFamily(
        "studyflow_rows",
        "Rows by table and status (courses, topics, study content, remediation, sources)",
        labels=["table", "status"],
    )
    backlog = GaugeMetricFamily(
        "studyflow_background_backlog_topics", "Topics queued for background notes, not started yet"
    )
    for table, status, count in await session.execute(_COUNTS):
        if table == "backlog":
            backlog.add_metric([], count)
        else:
            rows.add_metric([table, status], count)
    return [rows, backlog]


class CachedStatusMetrics:
    """The counts scan whole tables: read at most once per `max_age` seconds per process, however
    often (or by however many scrapers) /metrics is asked, and by one request at a time."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], max_age: float) -> None:
        self._sessions = sessions
        self._max_age = max_age
        self._lock = asyncio.Lock()
        self._read_at = float("-inf")
        self._metrics: list[Metric] = []
        self.reads = 0  # statements run, for tests

    async def get(self) -> list[Metric]:
        async with self._lock:
            if time.monotonic() - self._read_at >= self._max_age:
                async with self._sessions() as session:
                    self._metrics = await status_metrics(session)
                self._read_at = time.monotonic()
                self.reads += 1
            return self._metrics
