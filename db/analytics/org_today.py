"""Today's figures for a whole organisation (segment `all`) as yesterday's rolled row plus what
changed today, so the overview's one live day costs what today's events cost, not what the
organisation's size costs (building its member set was ~93 % of the overview at 20,000 learners
and grew with them: `bench/analytics_bench.py`).

Every count over the members is yesterday's plus a correction over the learners today touched —
those who joined or left today and those active today. A learner outside that set has the same
membership and, with no activity today, the same activity windows as yesterday, so contributes to
today's count exactly what they did to yesterday's. For a window of activity that ends today
([today-6, today] for WAU), yesterday's row carries the count over the part before today
(`active_6`: the 6 days ending yesterday; `active_29`; `active_churn`: the churn window's days
before today), which the roll writes beside the day's own figures.

A member active today adds one to a window's count exactly when their active day before lies
outside it, so the active learners are not read one by one: triggers keep, as days and memberships
change, how many of the organisation's live learners were active on a day by the days since their
day before (`analytics_live_gaps`) and by the minute their day began (`analytics_live_starts`, for
the nudge control group), migration 0023. Those who joined or left today are read row by row.

Events of the day (sessions, practice, goals, suggestions, nudges, hand-offs, spend) are today's
rows, each checked for membership by an index probe. Tutor and group segments stay on the full
statement (`org_days`): they are small, and group removals leave no tombstone to subtract. When
the counters and the statement could disagree (`exact`), the full statement answers."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.analytics import org_days, sessions
from db.analytics.days import Day
from db.analytics.org_days import OrgDay

# A learner member of the organisation at the end of today, probed once per row of the day's events
# (a LATERAL with a LIMIT): an EXISTS became a hash of every membership of the organisation
# (100,000 rows) for the day's thousand sessions (14 -> 6.5 ms under EXPLAIN ANALYZE).
_MEMBER = """CROSS JOIN LATERAL (SELECT 1 FROM memberships mm
                    WHERE mm.organization_id = :org AND mm.user_id = {who} AND mm.role = 'learner'
                      AND mm.created_at < :end AND (mm.removed_at IS NULL OR mm.removed_at >= :end)
                    LIMIT 1) {alias}"""

_TODAY = """
WITH sessions AS ({sessions}),
y AS (
    SELECT * FROM analytics_org_days
     WHERE organization_id = :org AND segment = 'all' AND segment_id = :org AND day = :yday
       AND churn_days = :churn_days AND active_6 IS NOT NULL
),
-- Today's active learners among the live members, by the days since their day before (0: none).
-- For a member who was a member yesterday too, being active today adds them to a window's count
-- exactly when their day before lies outside it.
g AS (
    SELECT coalesce(sum(learners), 0) AS dau,
           coalesce(sum(learners) FILTER (WHERE gap = 0 OR gap > 6), 0) AS wau,
           coalesce(sum(learners) FILTER (WHERE gap = 0 OR gap > 29), 0) AS mau,
           coalesce(sum(learners) FILTER (WHERE gap = 0), 0) AS ever_active,
           coalesce(sum(learners) FILTER (WHERE gap = 0 OR gap > :churn_days - 1), 0) AS active_churn
      FROM analytics_live_gaps WHERE organization_id = :org AND day = :day
),
-- Those who joined or left today: their windows as of yesterday and today, row by row.
changed AS (
    SELECT user_id FROM memberships
     WHERE organization_id = :org AND role = 'learner' AND created_at >= :start AND created_at < :end
    UNION
    SELECT user_id FROM memberships
     WHERE organization_id = :org AND role = 'learner' AND removed_at >= :start AND removed_at < :end
),
f AS (
    SELECT (m.created_at < :start AND (m.removed_at IS NULL OR m.removed_at >= :start)) AS in_y,
           (m.created_at < :end AND (m.removed_at IS NULL OR m.removed_at >= :end)) AS in_t,
           CASE WHEN t.user_id IS NOT NULL THEN t.prev_day
                ELSE (SELECT max(a.day) FROM learner_active_days a WHERE a.user_id = c.user_id AND a.day < :day)
           END AS prev
      FROM changed c
      JOIN memberships m ON m.organization_id = :org AND m.user_id = c.user_id AND m.role = 'learner'
      LEFT JOIN learner_active_days t ON t.user_id = c.user_id AND t.day = :day
),
d AS (
    SELECT count(*) FILTER (WHERE in_t) - count(*) FILTER (WHERE in_y) AS learners,
           count(*) FILTER (WHERE in_t AND prev >= :w7) - count(*) FILTER (WHERE in_y AND prev >= :w7) AS wau,
           count(*) FILTER (WHERE in_t AND prev >= :w30) - count(*) FILTER (WHERE in_y AND prev >= :w30) AS mau,
           count(*) FILTER (WHERE in_t AND prev IS NOT NULL)
             - count(*) FILTER (WHERE in_y AND prev IS NOT NULL) AS ever_active,
           count(*) FILTER (WHERE in_t AND prev >= :wchurn)
             - count(*) FILTER (WHERE in_y AND prev >= :wchurn) AS active_churn,
           -- Members at the end of today who were active yesterday, as a change to yesterday's DAU.
           count(*) FILTER (WHERE in_t AND prev = :yday) - count(*) FILTER (WHERE in_y AND prev = :yday) AS was_active
      FROM f
),
ref AS (
    SELECT min(created_at) AS t, date_bin('1 minute', min(created_at), TIMESTAMPTZ '2000-01-01 00:00:00+00') AS minute
      FROM notifications WHERE kind = 'engagement' AND day = :day
),
-- Each nudge once, with the nudged learner's days around it: came back within 48 h, already active
-- when the first nudge went out, or began today after it with no day yesterday. Plain joins: a
-- probe per nudge through a LATERAL cost more than the join (about 5,000 nudges at 100,000 learners).
nudged AS (
    SELECT n.user_id, coalesce(n.reason, 'other') AS reason,
           coalesce(bool_or(a.last_at > n.created_at
                            AND a.first_at <= n.created_at + make_interval(hours => :return_hours)), false) AS returned,
           coalesce(bool_or(a.day <= :day AND a.first_at <= ref.t), false) AS early,
           coalesce(bool_or(a.day = :day AND a.first_at > ref.t AND a.prev_day IS DISTINCT FROM :yday), false) AS back
      FROM notifications n CROSS JOIN ref
      JOIN memberships mm ON mm.organization_id = :org AND mm.user_id = n.user_id AND mm.role = 'learner'
       AND mm.created_at < :end AND (mm.removed_at IS NULL OR mm.removed_at >= :end)
      LEFT JOIN learner_active_days a ON a.user_id = n.user_id AND a.day BETWEEN :ret_first AND :ret_last
     WHERE n.kind = 'engagement' AND n.day = :day
     GROUP BY n.id, n.user_id, n.reason
),
nud AS (
    SELECT jsonb_object_agg(reason, jsonb_build_array(nudged, returned)) AS nudges
      FROM (SELECT reason, count(*) AS nudged, count(*) FILTER (WHERE returned) AS returned
              FROM nudged GROUP BY 1) r
),
nudged_learners AS (
    SELECT count(*) AS n, count(*) FILTER (WHERE early) AS early, count(*) FILTER (WHERE back) AS back
      FROM (SELECT user_id, bool_or(early) AS early, bool_or(back) AS back FROM nudged GROUP BY user_id) u
),
-- The control group. Not comparable: active yesterday or today by the time the first nudge went
-- out. Every day of yesterday began before it (checked in `exact`), so that is yesterday's DAU
-- corrected as above plus today's learners who began before it with no day yesterday; "came back"
-- is a learner who began today after it with no day yesterday and was not nudged. Whole minutes
-- are read from the counters, the first nudge's own minute row by row.
starts AS (
    SELECT coalesce(sum(s.learners) FILTER (WHERE s.minute < ref.minute), 0) AS early,
           coalesce(sum(s.learners) FILTER (WHERE s.minute > ref.minute), 0) AS back
      FROM analytics_live_starts s CROSS JOIN ref
     WHERE s.organization_id = :org AND s.day = :day AND NOT s.back_from_yesterday
),
edge AS (
    SELECT count(*) FILTER (WHERE a.first_at <= ref.t) AS early, count(*) FILTER (WHERE a.first_at > ref.t) AS back
      FROM ref JOIN learner_active_days a
        ON a.day = :day AND a.first_at >= ref.minute AND a.first_at < ref.minute + interval '1 minute'
      {member_a}
     WHERE a.prev_day IS DISTINCT FROM :yday
),
-- The counters count live members (role learner, not removed) as the read finds them, the
-- statement members at the end of today; a membership made or ended after today would tell them
-- apart. Days of yesterday beginning after the first nudge (late events), a member's day after
-- today, or a nudge two days before the end of today also break the shortcut: then the full
-- statement answers.
exact AS (
    SELECT NOT EXISTS (SELECT 1 FROM memberships WHERE organization_id = :org AND created_at >= :end)
       AND NOT EXISTS (SELECT 1 FROM memberships WHERE organization_id = :org AND removed_at >= :end)
       -- A role changed today: yesterday's row counted the member by the role they had then.
       AND NOT EXISTS (SELECT 1 FROM memberships WHERE organization_id = :org AND role_changed_at >= :start)
       AND NOT EXISTS (SELECT 1 FROM analytics_live_gaps
                        WHERE organization_id = :org AND day > :day AND day <= :ret_last AND learners <> 0)
       AND (ref.t IS NULL OR (
                ref.t > CAST(:end AS timestamptz) - make_interval(hours => :return_hours)
            AND NOT EXISTS (SELECT 1 FROM analytics_live_starts
                             WHERE organization_id = :org AND day = :yday AND minute >= ref.minute AND learners <> 0)
       )) AS ok
      FROM ref
)
SELECT y.learners + d.learners AS learners, g.dau,
       y.active_6 + g.wau + d.wau AS wau, y.active_29 + g.mau + d.mau AS mau,
       y.ever_active + g.ever_active + d.ever_active AS ever_active,
       (y.ever_active + g.ever_active + d.ever_active) - (y.active_churn + g.active_churn + d.active_churn) AS churned,
       (SELECT count(*) FROM sessions x {member_x} WHERE x.day = :day AND x.organization_id = :org) AS sessions,
       p.due AS practice_due, p.on_time AS practice_on_time,
       gd.due AS goals_due, gd.met AS goals_met,
       s.offered AS suggestions_offered, s.accepted AS suggestions_accepted,
       coalesce(nud.nudges, '{{}}'::jsonb) AS nudges,
       CASE WHEN ref.t IS NULL THEN 0
            ELSE (y.learners + d.learners) - nl.n
                 - (y.dau + d.was_active + starts.early + edge.early - nl.early) END AS control_learners,
       CASE WHEN ref.t IS NULL THEN 0 ELSE starts.back + edge.back - nl.back END AS control_returned,
       exact.ok AS exact,
       hs.n AS handoffs_sent, ha.n AS handoffs_accepted, ha.seconds AS accept_seconds, llm.cost AS llm_cost_usd
  FROM y CROSS JOIN g CROSS JOIN d CROSS JOIN nud CROSS JOIN ref CROSS JOIN nudged_learners nl
  CROSS JOIN starts CROSS JOIN edge CROSS JOIN exact
  CROSS JOIN LATERAL (
      SELECT count(*) AS due, count(*) FILTER (WHERE t.completed_at < :end) AS on_time
        FROM assignments a JOIN assignment_targets t ON t.assignment_id = a.id
        {member_t}
       WHERE a.due_date = :day AND a.organization_id = :org
  ) p
  CROSS JOIN LATERAL (
      SELECT count(*) AS due, count(*) FILTER (WHERE gl.status = 'met' AND gl.met_at < :end) AS met
        FROM goals gl {member_g} WHERE coalesce(gl.due_date, gl.start_date + gl.days - 1) = :day
  ) gd
  CROSS JOIN LATERAL (
      SELECT count(*) AS offered, count(*) FILTER (WHERE x.status = 'accepted') AS accepted
        FROM subject_suggestions x {member_x_user} WHERE x.created_at >= :start AND x.created_at < :end
  ) s
  CROSS JOIN LATERAL (
      SELECT count(*) AS n FROM tutor_handoffs h {member_h}
       WHERE h.organization_id = :org AND h.sent_at >= :start AND h.sent_at < :end
  ) hs
  CROSS JOIN LATERAL (
      SELECT count(*) AS n, coalesce(sum(extract(epoch FROM h.decided_at - h.sent_at)), 0)::float AS seconds
        FROM tutor_handoffs h {member_h}
       WHERE h.organization_id = :org AND h.decided_at >= :start AND h.decided_at < :end
         AND h.status IN ('accepted', 'resolved')
  ) ha
  CROSS JOIN LATERAL (
      SELECT coalesce(sum(c.cost_usd), 0) AS cost FROM llm_calls c {member_c}
       WHERE c.created_at >= :start AND c.created_at < :end
  ) llm
"""


def _statement(sessions_present: bool) -> str:
    def member(who: str) -> str:
        return _MEMBER.format(who=who, alias="member_" + who.replace(".", "_"))

    return _TODAY.format(
        sessions=sessions.sessions_sql(sessions_present),
        member_a=member("a.user_id"),
        member_x=member("x.learner_id"),
        member_t=member("t.learner_id"),
        member_g=member("gl.user_id"),
        member_x_user=member("x.user_id"),
        member_h=member("h.owner_id"),
        member_c=member("c.user_id"),
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
