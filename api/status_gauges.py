"""Rows by status and the background backlog, read from the database when Prometheus scrapes:
the truth is in the tables, so the gauges are refreshed from them rather than kept in memory
(which several API processes would each hold a different copy of)."""

from __future__ import annotations

from prometheus_client import Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

ROWS = Gauge("studyflow_rows", "Rows by table and status (courses, topics, study content, remediation, sources)", ["table", "status"])
BACKLOG = Gauge("studyflow_background_backlog_topics", "Topics queued for background notes, not started yet")

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


async def refresh_status_gauges(session: AsyncSession) -> None:
    ROWS.clear()  # a status with no rows left disappears instead of keeping its last count
    for table, status, count in await session.execute(_COUNTS):
        if table == "backlog":
            BACKLOG.set(count)
        else:
            ROWS.labels(table, status).set(count)
