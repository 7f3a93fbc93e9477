"""What a goal's progress is computed from, for all of a learner's goals in one query: the course's
progress counters, the mean mastery of its topics, and per day the minutes of quiz time or the
flashcard reviews since the goal started. `GOAL_MEASURES` is also embedded in the dashboard's
single query (as JSON)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from studyflow.goal_progress import GoalMeasures
from studyflow.statuses import GoalStatus

# :today and :tz are bound by the caller; `g` is the goals row. A day counts in the learner's
# day time zone (DAY_TIMEZONE), like streaks and quotas.
GOAL_MEASURES = """
    SELECT g.id, g.user_id, g.kind, g.course_id, c.topic AS course_topic, g.target, g.days, g.due_date,
           g.start_date, g.status, g.met_at, g.created_at,
           coalesce(c.topics_total, 0) AS topics_total, coalesce(c.topics_completed, 0) AS topics_completed,
           (SELECT coalesce(avg(coalesce(tm.mastery, 0)), 0)
              FROM topics t LEFT JOIN topic_mastery tm ON tm.topic_id = t.id AND tm.user_id = g.user_id
             WHERE g.kind = 'mastery' AND t.course_id = g.course_id) AS mastery,
           coalesce(d.today_amount, 0) AS today_amount, coalesce(d.yesterday_amount, 0) AS yesterday_amount,
           coalesce(d.days_reached, 0) AS days_reached
      FROM goals g
      LEFT JOIN courses c ON c.id = g.course_id
      LEFT JOIN LATERAL (
            SELECT sum(amount) FILTER (WHERE day = CAST(:today AS date)) AS today_amount,
                   sum(amount) FILTER (WHERE day = CAST(:today AS date) - 1) AS yesterday_amount,
                   count(*) FILTER (WHERE amount >= g.target) AS days_reached
              FROM (SELECT day, sum(amount) AS amount
                      FROM (SELECT (qa.created_at AT TIME ZONE :tz)::date AS day, qa.duration_seconds / 60.0 AS amount
                              FROM quiz_attempts qa
                             WHERE g.kind = 'daily_minutes' AND qa.user_id = g.user_id
                            UNION ALL
                            -- Reading notes, browsing cards and reviewing count as study minutes too.
                            SELECT st.day, st.seconds / 60.0
                              FROM study_time st
                             WHERE g.kind = 'daily_minutes' AND st.user_id = g.user_id
                            UNION ALL
                            SELECT (r.reviewed_at AT TIME ZONE :tz)::date, 1
                              FROM flashcard_reviews r JOIN flashcard_states s ON s.id = r.card_state_id
                             WHERE g.kind = 'daily_reviews' AND s.user_id = g.user_id) per_event
                     WHERE day BETWEEN g.start_date AND CAST(:today AS date)
                     GROUP BY day) per_day
           ) d ON g.kind IN ('daily_minutes', 'daily_reviews')
"""

_FOR_LEARNER = text(
    GOAL_MEASURES
    + """ WHERE g.user_id = :user_id AND g.status = ANY(:statuses)
            AND (CAST(:goal_id AS uuid) IS NULL OR g.id = CAST(:goal_id AS uuid))
          ORDER BY g.created_at DESC"""
)


def measures_of(row) -> GoalMeasures:
    """A measures row (a mapping, or the dashboard's JSON object) as the pure model's input."""

    def day(value):
        return date.fromisoformat(value) if isinstance(value, str) else value

    return GoalMeasures(
        kind=row["kind"],
        target=float(row["target"]),
        start_date=day(row["start_date"]),
        status=row["status"],
        due_date=day(row["due_date"]),
        days=row["days"],
        course_topic=row["course_topic"],
        topics_total=int(row["topics_total"]),
        topics_completed=int(row["topics_completed"]),
        mastery=float(row["mastery"]),
        today_amount=float(row["today_amount"]),
        yesterday_amount=float(row["yesterday_amount"]),
        days_reached=int(row["days_reached"]),
    )


async def goal_rows(
    session: AsyncSession,
    user_id: uuid.UUID,
    today: date,
    tz: str,
    statuses: tuple[str, ...] = (GoalStatus.active, GoalStatus.met),
    goal_id: uuid.UUID | None = None,
) -> list[dict]:
    """The learner's goals in these statuses (only `goal_id`, when given), newest first."""
    params = {"user_id": user_id, "today": today, "tz": tz, "statuses": list(statuses), "goal_id": goal_id}
    return [dict(row) for row in (await session.execute(_FOR_LEARNER, params)).mappings()]
