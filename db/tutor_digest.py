"""What a tutor's weekly digest says, read from the tables the tutor may see: learners linked to
them (active links only), those learners' assignments in the link's organisation, and the
analysed sessions of the week (the analysis version the session shows)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from studyflow.statuses import AssignmentStatus, LearnerShowed, SessionStatus
from studyflow.tutor_digest import AtRisk, DigestFacts, Misconception, Overdue

WEEK = timedelta(days=7)

_LEARNERS = text(
    """
    SELECT DISTINCT u.id, coalesce(u.display_name, u.email, 'a learner') AS name, u.last_active_date
      FROM tutor_links l JOIN users u ON u.id = l.learner_id
     WHERE l.tutor_id = :tutor AND l.revoked_at IS NULL AND u.deleted_at IS NULL
     ORDER BY name
    """
)

_OVERDUE = text(
    """
    SELECT DISTINCT a.title, coalesce(u.display_name, u.email, 'a learner') AS name, a.due_date
      FROM tutor_links l
      JOIN assignment_targets t ON t.learner_id = l.learner_id
      JOIN assignments a ON a.id = t.assignment_id AND a.organization_id = l.organization_id
      JOIN users u ON u.id = l.learner_id
     WHERE l.tutor_id = :tutor AND l.revoked_at IS NULL AND u.deleted_at IS NULL
       AND t.status <> :completed AND a.due_date < :day
     ORDER BY a.due_date, a.title, name
    """
)

_MISCONCEPTIONS = text(
    """
    SELECT DISTINCT c.name AS concept, coalesce(u.display_name, u.email, 'a learner') AS name, s.session_date
      FROM tutor_links l
      JOIN tutoring_sessions s ON s.learner_id = l.learner_id AND s.organization_id = l.organization_id
      JOIN session_analyses sa ON sa.session_id = s.id AND sa.version = s.analysis_version
      JOIN session_concepts c ON c.analysis_id = sa.id
      JOIN users u ON u.id = l.learner_id
     WHERE l.tutor_id = :tutor AND l.revoked_at IS NULL AND u.deleted_at IS NULL
       AND s.status = :ready AND c.learner_showed = :misconception
       AND s.session_date >= :week_start AND s.session_date < :day
     ORDER BY s.session_date, name, concept
    """
)


async def digest_facts(session: AsyncSession, tutor_id: uuid.UUID, day: date, inactive_days: int) -> DigestFacts:
    """The week digested is the seven days before `day`."""
    learners = (await session.execute(_LEARNERS, {"tutor": tutor_id})).all()
    idle_since = day - timedelta(days=inactive_days)
    at_risk = [
        AtRisk(r.name, (day - r.last_active_date).days if r.last_active_date else None)
        for r in learners
        if r.last_active_date is None or r.last_active_date <= idle_since
    ]
    overdue = (
        await session.execute(_OVERDUE, {"tutor": tutor_id, "day": day, "completed": AssignmentStatus.completed})
    ).all()
    seen = (
        await session.execute(
            _MISCONCEPTIONS,
            {
                "tutor": tutor_id,
                "day": day,
                "week_start": day - WEEK,
                "ready": SessionStatus.ready,
                "misconception": LearnerShowed.misconception,
            },
        )
    ).all()
    return DigestFacts(
        week_start=day - WEEK,
        week_end=day - timedelta(days=1),
        learners=len({r.id for r in learners}),
        at_risk=at_risk,
        overdue=[Overdue(r.title, r.name, r.due_date) for r in overdue],
        misconceptions=[Misconception(r.concept, r.name, r.session_date) for r in seen],
    )
