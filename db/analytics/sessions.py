"""Tutoring sessions, as analytics counts them: the one place that reads them.

A session counts on the day it took place (`tutoring_sessions.session_date`) once its analysis is
ready (status 'ready'); its learner and organisation are the session's own. A session recorded
after the day it took place is a late event: its writer marks that day dirty
(`db.analytics.dirty.mark_dirty`) so the rollup re-rolls it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from studyflow.statuses import SessionStatus

TABLE = "tutoring_sessions"

# (learner_id, organization_id, day) of each completed session with :d0 <= day <= :d1.
_PRESENT = f"""
    SELECT learner_id, organization_id, session_date AS day
      FROM {TABLE}
     WHERE session_date BETWEEN :d0 AND :d1 AND status = '{SessionStatus.ready.value}'
"""
_ABSENT = "SELECT NULL::uuid AS learner_id, NULL::uuid AS organization_id, NULL::date AS day WHERE false"


async def available(session: AsyncSession | AsyncConnection) -> bool:
    """The sessions table is part of the schema (migration 0018): always there."""
    return True


def sessions_sql(present: bool) -> str:
    """The statement to put in a `WITH sessions AS (...)`; binds :d0 and :d1."""
    return _PRESENT if present else _ABSENT
