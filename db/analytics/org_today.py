"""Today's figures for a whole organisation (segment `all`) as yesterday's rolled row plus what
changed today, so the overview's one live day costs what today's events cost, not what the
organisation's size costs (building its member set was ~93 % of the overview at 20,000 learners
and grew with them: `bench/analytics_bench.py`).

Every count over the members is yesterday's plus a correction over the few learners today
touched — those who joined or left today and those active today. A learner outside that set has
the same membership and, with no activity today, the same activity windows as yesterday, so
contributes to today's count exactly what they did to yesterday's. For a window of activity that
ends today ([today-6, today] for WAU), yesterday's row carries the count over the part before
today (`active_6`: the 6 days ending yesterday; `active_29`; `active_churn`: the churn window's
days before today), which the roll writes beside the day's own figures.

Events of the day (sessions, practice, goals, suggestions, nudges, hand-offs, spend) are today's
rows, each checked for membership by an index probe. Tutor and group segments stay on the full
statement (`org_days`): they are small, and group removals leave no tombstone to subtract."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.analytics import org_days, sessions
from db.analytics.days import Day
from db.analytics.org_days import OrgDay

# A learner member of the organisation at the end of today.
_MEMBER = """EXISTS (SELECT 1 FROM memberships mm
                    WHERE mm.organization_id = :org AND mm.user_id = {who} AND mm.role = 'learner'
                      AND mm.created_at < :end AND (mm.removed_at IS NULL OR mm.removed_at >= :end))"""

_TODAY = """
WITH sessions AS ({sessions}),
y AS (
    SELECT * FROM analytics_org_days
     WHERE organization_id = :org AND segment = 'all' AND segment_id = :org AND day = :yday
       AND churn_days = :churn_days AND active_6 IS NOT NULL
),
today_rows AS (SELECT a.user_id, a.prev_day, a.first_at, a.last_at FROM learner_active_days a WHERE a.day = :day),
changed AS (
    SELECT user_id FROM memberships
     WHERE organization_id = :org AND role = 'learner' AND created_at >= :start AND created_at < :end
    UNION
    SELECT user_id FROM memberships
     WHERE organization_id = :org AND role = 'learner' AND removed_at >= :start AND removed_at < :end
),
-- Active today: the row carries the day before (migration 0022); joined or left without being
-- active: their last day is looked up, for these few only.
touched AS (
    SELECT user_id, true AS act, prev_day AS prev, first_at, last_at FROM today_rows
    UNION ALL
    SELECT c.user_id, false,
           (SELECT max(a.day) FROM learner_active_days a WHERE a.user_id = c.user_id AND a.day < :day),
           NULL, NULL
      FROM changed c WHERE c.user_id NOT IN (SELECT user_id FROM today_rows)
),
f AS MATERIALIZED (  -- once per learner, not once per count that reads them
    SELECT m.user_id,
           (m.created_at < :start AND (m.removed_at IS NULL OR m.removed_at >= :start)) AS in_y,
           (m.created_at < :end AND (m.removed_at IS NULL OR m.removed_at >= :end)) AS in_t,
           t.act, t.prev, t.first_at, t.last_at
      FROM touched t JOIN memberships m ON m.organization_id = :org AND m.user_id = t.user_id AND m.role = 'learner'
),
d AS (
    SELECT count(*) FILTER (WHERE in_t) - count(*) FILTER (WHERE in_y) AS learners,
           count(*) FILTER (WHERE in_t AND act) AS dau,
           count(*) FILTER (WHERE in_t AND (act OR prev >= :w7))
             - count(*) FILTER (WHERE in_y AND prev >= :w7) AS wau,
           count(*) FILTER (WHERE in_t AND (act OR prev >= :w30))
             - count(*) FILTER (WHERE in_y AND prev >= :w30) AS mau,
           count(*) FILTER (WHERE in_t AND (act OR prev IS NOT NULL))
             - count(*) FILTER (WHERE in_y AND prev IS NOT NULL) AS ever_active,
           count(*) FILTER (WHERE in_t AND (act OR prev >= :wchurn))
             - count(*) FILTER (WHERE in_y AND prev >= :wchurn) AS active_churn,
           -- Members at the end of today who were active yesterday, as a change to yesterday's DAU.
           count(*) FILTER (WHERE in_t AND prev = :yday) - count(*) FILTER (WHERE in_y AND prev = :yday) AS was_active
      FROM f
),
nudged AS ({nudged}),
nud AS (
    SELECT jsonb_object_agg(reason, jsonb_build_array(nudged, returned)) AS nudges
      FROM (SELECT reason, count(*) AS nudged, count(*) FILTER (WHERE returned) AS returned
              FROM nudged GROUP BY 1) r
),
ref AS (SELECT min(created_at) AS t FROM notifications WHERE kind = 'engagement' AND day = :day),
-- The control group from the same rows. Not comparable: active yesterday or today by the time the
-- nudges went out (`early`). Every row of yesterday started before today's nudges (checked in
-- `exact`), so "early" is yesterday's DAU corrected as above plus today's rows that began before
-- the nudges and had no day yesterday; "came back" can only be a row of today that began after.
ctl AS (
    SELECT count(*) FILTER (WHERE f.in_t AND f.act AND f.first_at <= ref.t AND f.prev IS DISTINCT FROM :yday)
             AS early_today,
           count(*) FILTER (WHERE f.in_t AND f.act AND f.first_at > ref.t AND f.last_at > ref.t
                              AND f.first_at <= ref.t + make_interval(hours => :return_hours)
                              AND f.prev IS DISTINCT FROM :yday
                              AND f.user_id NOT IN (SELECT user_id FROM nudged)) AS back
      FROM f CROSS JOIN ref
),
nudged_early AS (
    SELECT count(*) AS n FROM (SELECT DISTINCT user_id FROM nudged) n CROSS JOIN ref
     WHERE EXISTS (SELECT 1 FROM learner_active_days a
                    WHERE a.user_id = n.user_id AND a.day BETWEEN :ret_first AND :day AND a.first_at <= ref.t)
),
-- When a member's row breaks the shortcut's premises (a day of yesterday written as beginning after the
-- nudges, a day after today already), the full statement answers instead.
exact AS (
    SELECT NOT EXISTS (SELECT 1 FROM learner_active_days a WHERE a.day = :yday AND a.first_at > ref.t AND {member_a})
       AND NOT EXISTS (SELECT 1 FROM learner_active_days a
                        WHERE a.day > :day AND a.day <= :ret_last AND {member_a}) AS ok
      FROM ref
)
SELECT y.learners + d.learners AS learners, d.dau,
       y.active_6 + d.wau AS wau, y.active_29 + d.mau AS mau,
       y.ever_active + d.ever_active AS ever_active,
       (y.ever_active + d.ever_active) - (y.active_churn + d.active_churn) AS churned,
       (SELECT count(*) FROM sessions x WHERE x.day = :day AND x.organization_id = :org AND {member_x}) AS sessions,
       p.due AS practice_due, p.on_time AS practice_on_time,
       g.due AS goals_due, g.met AS goals_met,
       s.offered AS suggestions_offered, s.accepted AS suggestions_accepted,
       coalesce(nud.nudges, '{{}}'::jsonb) AS nudges,
       CASE WHEN ref.t IS NULL THEN 0
            ELSE (y.learners + d.learners) - (SELECT count(DISTINCT user_id) FROM nudged)
                 - (y.dau + d.was_active + ctl.early_today - nudged_early.n) END AS control_learners,
       CASE WHEN ref.t IS NULL THEN 0 ELSE ctl.back END AS control_returned,
       exact.ok AS exact,
       hs.n AS handoffs_sent, ha.n AS handoffs_accepted, ha.seconds AS accept_seconds, llm.cost AS llm_cost_usd
  FROM y CROSS JOIN d CROSS JOIN nud CROSS JOIN ref CROSS JOIN ctl CROSS JOIN nudged_early CROSS JOIN exact
  CROSS JOIN LATERAL (
      SELECT count(*) AS due, count(*) FILTER (WHERE t.completed_at < :end) AS on_time
        FROM assignments a JOIN assignment_targets t ON t.assignment_id = a.id
       WHERE a.due_date = :day AND a.organization_id = :org AND {member_t}
  ) p
  CROSS JOIN LATERAL (
      SELECT count(*) AS due, count(*) FILTER (WHERE gl.status = 'met' AND gl.met_at < :end) AS met
        FROM goals gl WHERE coalesce(gl.due_date, gl.start_date + gl.days - 1) = :day AND {member_g}
  ) g
  CROSS JOIN LATERAL (
      SELECT count(*) AS offered, count(*) FILTER (WHERE x.status = 'accepted') AS accepted
        FROM subject_suggestions x WHERE x.created_at >= :start AND x.created_at < :end AND {member_x_user}
  ) s
  CROSS JOIN LATERAL (
      SELECT count(*) AS n FROM tutor_handoffs h
       WHERE h.organization_id = :org AND h.sent_at >= :start AND h.sent_at < :end AND {member_h}
  ) hs
  CROSS JOIN LATERAL (
      SELECT count(*) AS n, coalesce(sum(extract(epoch FROM h.decided_at - h.sent_at)), 0)::float AS seconds
        FROM tutor_handoffs h
       WHERE h.organization_id = :org AND h.decided_at >= :start AND h.decided_at < :end
         AND h.status IN ('accepted', 'resolved') AND {member_h}
  ) ha
  CROSS JOIN LATERAL (
      SELECT coalesce(sum(c.cost_usd), 0) AS cost FROM llm_calls c
       WHERE c.created_at >= :start AND c.created_at < :end AND {member_c}
  ) llm
"""


def _statement(sessions_present: bool) -> str:
    return _TODAY.format(
        sessions=sessions.sessions_sql(sessions_present),
        nudged=org_days.NUDGED.format(member=_MEMBER.format(who="n.user_id")),
        member_a=_MEMBER.format(who="a.user_id"),
        member_x=_MEMBER.format(who="x.learner_id"),
        member_t=_MEMBER.format(who="t.learner_id"),
        member_g=_MEMBER.format(who="gl.user_id"),
        member_x_user=_MEMBER.format(who="x.user_id"),
        member_h=_MEMBER.format(who="h.owner_id"),
        member_c=_MEMBER.format(who="c.user_id"),
    )


async def today_from_yesterday(
    session: AsyncSession, organization_id: uuid.UUID, day: Day, churn_days: int
) -> OrgDay | None:
    """Today's `all` row, or None when yesterday's row is missing or was rolled with another churn
    window (or before the roll wrote the window counts), or when a row breaks the control group's
    premises (`exact`): then the full statement computes it."""
    params = org_days.day_params(organization_id, day, churn_days) | {
        "yday": day.day - timedelta(days=1),
        "churn_days": churn_days,
    }
    row = (await session.execute(text(_statement(await sessions.available(session))), params)).first()
    if row is None or row.exact is False:
        return None
    return OrgDay.of(day.day, row)
