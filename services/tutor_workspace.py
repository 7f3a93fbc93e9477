"""A tutor's (or an admin's) view of their learners: one row per learner with what needs attention
(mastery per course, last activity, assignments due or overdue, open hand-offs, an at-risk flag
with its reason), read in one statement."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.actor import Actor
from services.errors import ServiceError
from studyflow.statuses import Role

INACTIVE_DAYS = 7  # no activity for this long: at risk
LOW_SCORE = 50  # a last quiz below this: at risk

_LEARNERS = text(
    """
    WITH mine AS (
        SELECT m.user_id AS learner_id
          FROM memberships m
         WHERE m.organization_id = :org AND m.removed_at IS NULL AND m.role = 'learner'
           AND (:admin OR EXISTS (SELECT 1 FROM tutor_links l
                                   WHERE l.organization_id = :org AND l.tutor_id = :tutor
                                     AND l.learner_id = m.user_id AND l.revoked_at IS NULL))
    )
    SELECT u.id, coalesce(u.display_name, u.clerk_id) AS name, u.last_active_date, u.streak_current,
           (SELECT coalesce(json_agg(json_build_object('course_id', c.id,
                                                       'course', coalesce(c.outline ->> 'title', c.topic),
                                                       'progress_pct', c.progress_pct,
                                                       'mastery', (SELECT round(avg(tm.mastery)::numeric, 2)
                                                                     FROM topic_mastery tm
                                                                     JOIN topics t ON t.id = tm.topic_id
                                                                    WHERE t.course_id = c.id
                                                                      AND tm.user_id = u.id))
                                     ORDER BY c.created_at DESC), '[]')
              FROM courses c WHERE c.owner_id = u.id) AS courses,
           (SELECT count(*) FROM assignment_targets tg JOIN assignments a ON a.id = tg.assignment_id
             WHERE tg.learner_id = u.id AND tg.status = 'open' AND a.organization_id = :org
               AND a.due_date >= :today) AS assignments_due,
           (SELECT count(*) FROM assignment_targets tg JOIN assignments a ON a.id = tg.assignment_id
             WHERE tg.learner_id = u.id AND tg.status = 'open' AND a.organization_id = :org
               AND a.due_date < :today) AS assignments_overdue,
           (SELECT count(*) FROM tutor_handoffs h
             WHERE h.owner_id = u.id AND h.organization_id = :org AND h.status IN ('sent', 'accepted')
               AND (:admin OR h.tutor_id = :tutor)) AS open_handoffs,
           (SELECT a.percentage FROM quiz_attempts a WHERE a.user_id = u.id
             ORDER BY a.created_at DESC LIMIT 1) AS last_score
      FROM mine JOIN users u ON u.id = mine.learner_id
     ORDER BY name
    """
)


@dataclass(frozen=True)
class LearnerRow:
    id: uuid.UUID
    name: str
    last_active_date: date | None
    streak: int
    courses: list[dict]
    assignments_due: int
    assignments_overdue: int
    open_handoffs: int
    last_score: float | None
    at_risk: bool
    at_risk_reason: str | None


def at_risk(row, today: date) -> str | None:
    """Why a learner needs attention now, or None: the first reason that applies."""
    if row.assignments_overdue:
        return f"{row.assignments_overdue} assignment(s) overdue"
    if row.last_active_date is None:
        return "has not studied yet"
    idle = (today - row.last_active_date).days
    if idle >= INACTIVE_DAYS:
        return f"no activity for {idle} days"
    if row.last_score is not None and float(row.last_score) < LOW_SCORE:
        return f"last quiz {float(row.last_score):.0f}%"
    return None


async def my_learners(session: AsyncSession, actor: Actor, today: date) -> list[LearnerRow]:
    if actor.organization_id is None or actor.role not in (Role.tutor, Role.admin):
        raise ServiceError(403, "the learners list is for tutors and admins of an organisation")
    rows = await session.execute(
        _LEARNERS, {"org": actor.organization_id, "tutor": actor.id, "admin": actor.role == Role.admin, "today": today}
    )
    learners = []
    for row in rows:
        reason = at_risk(row, today)
        learners.append(
            LearnerRow(
                id=row.id,
                name=row.name,
                last_active_date=row.last_active_date,
                streak=row.streak_current,
                courses=[
                    dict(c, mastery=float(c["mastery"]) if c["mastery"] is not None else None) for c in row.courses
                ],
                assignments_due=row.assignments_due,
                assignments_overdue=row.assignments_overdue,
                open_handoffs=row.open_handoffs,
                last_score=float(row.last_score) if row.last_score is not None else None,
                at_risk=reason is not None,
                at_risk_reason=reason,
            )
        )
    return learners
