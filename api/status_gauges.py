"""Rows by status and the background backlog, read from the database when Prometheus scrapes:
the truth is in the tables, so the gauges are built from them at each scrape rather than kept in
memory (which several API processes would each hold a different copy of)."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

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
