"""One learner's day, as the improvement view adds it up: practice (attempts and the sum of their
percentages), reviews (recalled: rated anything but `again`; the predicted recall FSRS gave each,
where it had one), whether they studied, concepts mastered at the end of the day, sessions, and
assignments due that day with those completed by its end.

One statement computes it for a day and a set of learners: the rollup runs it for everyone with
something on the day, the read path for one learner and today (the same statement, so a rolled
day and a live one cannot disagree)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.analytics import sessions
from db.analytics.days import Day

# Everyone with anything on the day.
EVERYONE = """
    SELECT user_id FROM quiz_attempts WHERE created_at >= :start AND created_at < :end
    UNION
    SELECT s.user_id FROM flashcard_reviews r JOIN flashcard_states s ON s.id = r.card_state_id
     WHERE r.reviewed_at >= :start AND r.reviewed_at < :end
    UNION
    SELECT user_id FROM learner_active_days WHERE day = :day
    UNION
    SELECT user_id FROM mastery_crossings WHERE at >= :start AND at < :end
    UNION
    SELECT t.learner_id FROM assignment_targets t JOIN assignments a ON a.id = t.assignment_id
     WHERE a.due_date = :day
    UNION
    SELECT learner_id FROM sessions WHERE day = :day
"""
ONE = "SELECT CAST(:learner AS uuid) AS user_id"

_DAY = """
WITH sessions AS ({sessions}),
who AS ({who}),
att AS (
    SELECT user_id, count(*) AS n, sum(percentage) AS score_sum
      FROM quiz_attempts
     WHERE created_at >= :start AND created_at < :end AND user_id IN (SELECT user_id FROM who)
     GROUP BY user_id
),
rev AS (
    SELECT s.user_id, count(*) AS n,
           count(*) FILTER (WHERE r.rating <> 'again') AS recalled,
           count(r.retrievability) AS predicted_n,
           coalesce(sum(r.retrievability), 0) AS predicted_sum,
           count(*) FILTER (WHERE r.retrievability IS NOT NULL AND r.rating <> 'again') AS predicted_recalled
      FROM flashcard_reviews r JOIN flashcard_states s ON s.id = r.card_state_id
     WHERE r.reviewed_at >= :start AND r.reviewed_at < :end AND s.user_id IN (SELECT user_id FROM who)
     GROUP BY s.user_id
),
act AS (SELECT user_id FROM learner_active_days WHERE day = :day AND user_id IN (SELECT user_id FROM who)),
ses AS (
    SELECT learner_id AS user_id, count(*) AS n FROM sessions
     WHERE day = :day AND learner_id IN (SELECT user_id FROM who) GROUP BY learner_id
),
asg AS (
    SELECT t.learner_id AS user_id, count(*) AS due,
           count(*) FILTER (WHERE t.completed_at < :end) AS on_time
      FROM assignment_targets t JOIN assignments a ON a.id = t.assignment_id
     WHERE a.due_date = :day AND t.learner_id IN (SELECT user_id FROM who)
     GROUP BY t.learner_id
),
-- A topic is mastered at the end of the day when its last crossing by then went over the line.
mas AS (
    SELECT w.user_id,
           (SELECT count(*) FROM (SELECT DISTINCT ON (c.topic_id) c.mastered
                                    FROM mastery_crossings c
                                   WHERE c.user_id = w.user_id AND c.at < :end
                                   ORDER BY c.topic_id, c.at DESC) last WHERE last.mastered) AS n
      FROM who w
)
SELECT w.user_id, CAST(:day AS date) AS day, act.user_id IS NOT NULL AS active,
       coalesce(att.n, 0) AS attempts, coalesce(att.score_sum, 0) AS score_sum,
       coalesce(rev.n, 0) AS reviews, coalesce(rev.recalled, 0) AS recalled,
       coalesce(rev.predicted_n, 0) AS predicted_reviews, coalesce(rev.predicted_sum, 0) AS predicted_sum,
       coalesce(rev.predicted_recalled, 0) AS predicted_recalled,
       mas.n AS mastered, coalesce(ses.n, 0) AS sessions,
       coalesce(asg.due, 0) AS assignments_due, coalesce(asg.on_time, 0) AS assignments_on_time
  FROM who w
  JOIN mas ON mas.user_id = w.user_id
  LEFT JOIN att ON att.user_id = w.user_id
  LEFT JOIN rev ON rev.user_id = w.user_id
  LEFT JOIN act ON act.user_id = w.user_id
  LEFT JOIN ses ON ses.user_id = w.user_id
  LEFT JOIN asg ON asg.user_id = w.user_id
"""

COLUMNS = (
    "user_id, day, active, attempts, score_sum, reviews, recalled, predicted_reviews, predicted_sum, "
    "predicted_recalled, mastered, sessions, assignments_due, assignments_on_time"
)


def day_statement(*, everyone: bool, sessions_present: bool) -> str:
    return _DAY.format(sessions=sessions.sessions_sql(sessions_present), who=EVERYONE if everyone else ONE)


def day_params(day: Day, learner: uuid.UUID | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"day": day.day, "start": day.start, "end": day.end, "d0": day.day, "d1": day.day}
    if learner is not None:
        params["learner"] = learner
    return params


@dataclass
class LearnerDay:
    """One day's figures (a rolled row or a live one); days add up."""

    day: date
    active: bool = False
    attempts: int = 0
    score_sum: float = 0.0
    reviews: int = 0
    recalled: int = 0
    predicted_reviews: int = 0
    predicted_sum: float = 0.0
    predicted_recalled: int = 0
    mastered: int | None = None  # None: no row that day (carry the last known)
    sessions: int = 0
    assignments_due: int = 0
    assignments_on_time: int = 0

    @classmethod
    def of(cls, row) -> LearnerDay:
        values = dict(row._mapping)
        values.pop("user_id", None)
        values["score_sum"] = float(values["score_sum"])
        values["predicted_sum"] = float(values["predicted_sum"])
        return cls(**values)


async def live_day(session: AsyncSession, learner: uuid.UUID, day: Day) -> LearnerDay:
    statement = day_statement(everyone=False, sessions_present=await sessions.available(session))
    row = (await session.execute(text(statement), day_params(day, learner))).one()
    return LearnerDay.of(row)
