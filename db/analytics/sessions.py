"""Tutoring sessions, as analytics counts them: the one place that reads them.

The sessions table is being built alongside this (SPEC §12); until it exists every figure built on
sessions is 0. Wiring it is this file alone: the statement below names its columns (learner,
organisation, the day it took place, its status), and `available()` looks the table up once per
process. A session recorded after the day it took place is a late event: its writer should call
`db.analytics.dirty.mark_dirty` for that day, and `record_activity_day` (a session is a day of
study)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

TABLE = "tutoring_sessions"

# (learner_id, organization_id, day) of each completed session with :d0 <= day <= :d1.
_PRESENT = f"""
    SELECT learner_id, organization_id, session_date AS day
      FROM {TABLE}
     WHERE session_date BETWEEN :d0 AND :d1 AND status = 'ready'
"""
_ABSENT = "SELECT NULL::uuid AS learner_id, NULL::uuid AS organization_id, NULL::date AS day WHERE false"

_known: bool | None = None


async def available(session: AsyncSession | AsyncConnection) -> bool:
    global _known
    if _known is None:
        _known = (await session.scalar(text(f"SELECT to_regclass('{TABLE}') IS NOT NULL"))) or False
    return _known


def sessions_sql(present: bool) -> str:
    """The statement to put in a `WITH sessions AS (...)`; binds :d0 and :d1."""
    return _PRESENT if present else _ABSENT
