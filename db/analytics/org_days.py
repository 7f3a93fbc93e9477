"""One organisation's day, per segment of its learners: everyone (`all`, segment id = the
organisation's), each tutor's linked learners (`tutor`, the tutor's id), each group (`group`, the
group's id). A learner is counted in a segment on a day when, at the end of that day, they were a
learner member of the organisation and linked to the tutor / in the group.

One statement computes a day for every segment (the rollup) or for one (the live read of today).
Distinct counts (WAU, MAU, churn) cannot be added across days, so each day's row carries them as
of that day; everything else is a count of that day's events, which periods add up.

Activity comes from `learner_active_days`: the last day each learner was active within the widest
window (30 days, or the churn window) and whether they had ever been. Today it comes from
`users.last_active_date` instead — the same day, kept by the same writer, one row per learner —
because a 30-day window over 100,000 learners is the one scan the read path cannot afford."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.analytics import sessions
from db.analytics.days import Day

ALL, TUTOR, GROUP = "all", "tutor", "group"
RETURN_HOURS = 48  # a nudged learner came back if they studied within this long

_SEGMENTS = """
base AS (
    SELECT m.user_id FROM memberships m
     WHERE m.organization_id = :org AND m.role = 'learner'
       AND m.created_at < :end AND (m.removed_at IS NULL OR m.removed_at >= :end)
),
seg AS (
    SELECT * FROM (
        SELECT 'all' AS segment, CAST(:org AS uuid) AS segment_id, user_id FROM base
        UNION
        SELECT 'tutor', l.tutor_id, l.learner_id
          FROM tutor_links l JOIN base b ON b.user_id = l.learner_id
         WHERE l.organization_id = :org AND l.created_at < :end AND (l.revoked_at IS NULL OR l.revoked_at >= :end)
        UNION
        SELECT 'group', gm.group_id, gm.user_id
          FROM group_members gm JOIN groups g ON g.id = gm.group_id JOIN base b ON b.user_id = gm.user_id
         WHERE g.organization_id = :org AND gm.added_at < :end
    ) s {only}
),
members AS (SELECT DISTINCT user_id FROM seg)
"""
_ONLY = "WHERE segment = :segment AND segment_id = :segment_id"

# The day's nudged members and whether each came back within RETURN_HOURS (also org_today's).
NUDGED = """
    SELECT n.user_id, coalesce(n.reason, 'other') AS reason,
           EXISTS (SELECT 1 FROM learner_active_days a
                    WHERE a.user_id = n.user_id AND a.day BETWEEN :ret_first AND :ret_last
                      AND a.last_at > n.created_at
                      AND a.first_at <= n.created_at + make_interval(hours => :return_hours)) AS returned
      FROM notifications n
     WHERE n.kind = 'engagement' AND n.day = :day AND {member}
"""

# Per learner: the last active day within [:wfirst, :day], and whether ever active by :day.
_ACTIVITY_WINDOW = """
lp AS (
    SELECT m.user_id, l.last_day,
           l.last_day IS NOT NULL OR EXISTS (SELECT 1 FROM learner_active_days a
                                              WHERE a.user_id = m.user_id AND a.day < :wfirst) AS ever
      FROM members m
      LEFT JOIN (SELECT user_id, max(day) AS last_day FROM learner_active_days
                  WHERE day BETWEEN :wfirst AND :day AND user_id IN (SELECT user_id FROM members)
                  GROUP BY user_id) l ON l.user_id = m.user_id
)
"""
_ACTIVITY_TODAY = """
lp AS (
    SELECT m.user_id,
           CASE WHEN u.last_active_date BETWEEN :wfirst AND :day THEN u.last_active_date END AS last_day,
           u.last_active_date IS NOT NULL AS ever
      FROM members m JOIN users u ON u.id = m.user_id
)
"""

_DAY = """
WITH sessions AS ({sessions}),
{segments},
{activity},
act AS (
    SELECT s.segment, s.segment_id, count(*) AS learners,
           count(*) FILTER (WHERE lp.last_day = :day) AS dau,
           count(*) FILTER (WHERE lp.last_day >= :w7) AS wau,
           count(*) FILTER (WHERE lp.last_day >= :w30) AS mau,
           count(*) FILTER (WHERE lp.ever) AS ever_active,
           count(*) FILTER (WHERE lp.ever AND (lp.last_day IS NULL OR lp.last_day < :wchurn)) AS churned,
           -- The next day's windows without that day (org_today.py reads tomorrow from these).
           count(*) FILTER (WHERE lp.last_day >= :n7) AS active_6,
           count(*) FILTER (WHERE lp.last_day >= :n30) AS active_29,
           count(*) FILTER (WHERE lp.last_day >= :nchurn) AS active_churn
      FROM seg s JOIN lp ON lp.user_id = s.user_id
     GROUP BY 1, 2
),
ses AS (
    SELECT s.segment, s.segment_id, count(*) AS n
      FROM sessions x JOIN seg s ON s.user_id = x.learner_id
     WHERE x.day = :day AND x.organization_id = :org
     GROUP BY 1, 2
),
prac AS (
    SELECT s.segment, s.segment_id, count(*) AS due, count(*) FILTER (WHERE t.completed_at < :end) AS on_time
      FROM assignments a JOIN assignment_targets t ON t.assignment_id = a.id JOIN seg s ON s.user_id = t.learner_id
     WHERE a.due_date = :day AND a.organization_id = :org
     GROUP BY 1, 2
),
goal AS (
    SELECT s.segment, s.segment_id, count(*) AS due,
           count(*) FILTER (WHERE g.status = 'met' AND g.met_at < :end) AS met
      FROM goals g JOIN seg s ON s.user_id = g.user_id
     WHERE coalesce(g.due_date, g.start_date + g.days - 1) = :day
     GROUP BY 1, 2
),
sug AS (
    SELECT s.segment, s.segment_id, count(*) AS offered, count(*) FILTER (WHERE x.status = 'accepted') AS accepted
      FROM subject_suggestions x JOIN seg s ON s.user_id = x.user_id
     WHERE x.created_at >= :start AND x.created_at < :end
     GROUP BY 1, 2
),
nudged AS ({nudged}),
nud AS (
    SELECT segment, segment_id, jsonb_object_agg(reason, jsonb_build_array(nudged, returned)) AS nudges
      FROM (SELECT s.segment, s.segment_id, x.reason, count(*) AS nudged, count(*) FILTER (WHERE x.returned) AS returned
              FROM nudged x JOIN seg s ON s.user_id = x.user_id
             GROUP BY 1, 2, 3) r
     GROUP BY 1, 2
),
-- Comparable learners: not nudged that day, and not active yet that day when the nudges went out.
ref AS (SELECT min(created_at) AS t FROM notifications WHERE kind = 'engagement' AND day = :day),
ctl AS (
    SELECT s.segment, s.segment_id, count(*) AS learners,
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM learner_active_days a
                                           WHERE a.user_id = s.user_id AND a.day BETWEEN :ret_first AND :ret_last
                                             AND a.last_at > ref.t
                                             AND a.first_at <= ref.t + make_interval(hours => :return_hours)))
               AS returned
      FROM seg s CROSS JOIN ref
     WHERE ref.t IS NOT NULL
       AND s.user_id NOT IN (SELECT user_id FROM nudged)
       AND NOT EXISTS (SELECT 1 FROM learner_active_days a
                        WHERE a.user_id = s.user_id AND a.day BETWEEN :ret_first AND :day AND a.first_at <= ref.t)
     GROUP BY 1, 2
),
hs AS (
    SELECT s.segment, s.segment_id, count(*) AS n
      FROM tutor_handoffs h JOIN seg s ON s.user_id = h.owner_id
     WHERE h.organization_id = :org AND h.sent_at >= :start AND h.sent_at < :end
     GROUP BY 1, 2
),
ha AS (
    SELECT s.segment, s.segment_id, count(*) AS n,
           coalesce(sum(extract(epoch FROM h.decided_at - h.sent_at)), 0) AS seconds
      FROM tutor_handoffs h JOIN seg s ON s.user_id = h.owner_id
     WHERE h.organization_id = :org AND h.decided_at >= :start AND h.decided_at < :end
       AND h.status IN ('accepted', 'resolved')
     GROUP BY 1, 2
),
llm AS (
    SELECT s.segment, s.segment_id, sum(c.cost_usd) AS cost
      FROM llm_calls c JOIN seg s ON s.user_id = c.user_id
     WHERE c.created_at >= :start AND c.created_at < :end
     GROUP BY 1, 2
)
SELECT act.segment, act.segment_id, act.learners, act.dau, act.wau, act.mau, act.ever_active, act.churned,
       coalesce(ses.n, 0) AS sessions,
       coalesce(prac.due, 0) AS practice_due, coalesce(prac.on_time, 0) AS practice_on_time,
       coalesce(goal.due, 0) AS goals_due, coalesce(goal.met, 0) AS goals_met,
       coalesce(sug.offered, 0) AS suggestions_offered, coalesce(sug.accepted, 0) AS suggestions_accepted,
       coalesce(nud.nudges, '{{}}'::jsonb) AS nudges,
       coalesce(ctl.learners, 0) AS control_learners, coalesce(ctl.returned, 0) AS control_returned,
       coalesce(hs.n, 0) AS handoffs_sent, coalesce(ha.n, 0) AS handoffs_accepted,
       coalesce(ha.seconds, 0)::float AS accept_seconds, coalesce(llm.cost, 0) AS llm_cost_usd,
       act.active_6, act.active_29, act.active_churn
  FROM act
  LEFT JOIN ses USING (segment, segment_id)
  LEFT JOIN prac USING (segment, segment_id)
  LEFT JOIN goal USING (segment, segment_id)
  LEFT JOIN sug USING (segment, segment_id)
  LEFT JOIN nud USING (segment, segment_id)
  LEFT JOIN ctl USING (segment, segment_id)
  LEFT JOIN hs USING (segment, segment_id)
  LEFT JOIN ha USING (segment, segment_id)
  LEFT JOIN llm USING (segment, segment_id)
"""

COLUMNS = (
    "segment, segment_id, learners, dau, wau, mau, ever_active, churned, sessions, practice_due, "
    "practice_on_time, goals_due, goals_met, suggestions_offered, suggestions_accepted, nudges, "
    "control_learners, control_returned, handoffs_sent, handoffs_accepted, accept_seconds, llm_cost_usd"
)
# Written by the roll beside COLUMNS, read only by the next day's live figures (org_today.py).
WINDOW_COLUMNS = "active_6, active_29, active_churn"
SUMMED = (
    "sessions",
    "practice_due",
    "practice_on_time",
    "goals_due",
    "goals_met",
    "suggestions_offered",
    "suggestions_accepted",
    "control_learners",
    "control_returned",
    "handoffs_sent",
    "handoffs_accepted",
    "accept_seconds",
    "llm_cost_usd",
)


def goal_end_day(goal) -> date | None:
    """The day a goal falls due: its date, or a habit's last day (as in the statement above)."""
    if goal.due_date is not None:
        return goal.due_date
    if goal.days:
        return goal.start_date + timedelta(days=goal.days - 1)
    return None


def day_statement(*, today: bool, one_segment: bool, sessions_present: bool) -> str:
    return _DAY.format(
        sessions=sessions.sessions_sql(sessions_present),
        segments=_SEGMENTS.format(only=_ONLY if one_segment else ""),
        activity=_ACTIVITY_TODAY if today else _ACTIVITY_WINDOW,
        nudged=NUDGED.format(member="n.user_id IN (SELECT user_id FROM members)"),
    )


def day_params(organization_id: uuid.UUID, day: Day, churn_days: int) -> dict:
    d = day.day
    wchurn = d - timedelta(days=churn_days - 1)
    w30 = d - timedelta(days=29)
    return {
        "org": organization_id,
        "day": d,
        "start": day.start,
        "end": day.end,
        "w7": d - timedelta(days=6),
        "w30": w30,
        "wchurn": wchurn,
        "wfirst": min(w30, wchurn),
        # Tomorrow's windows less tomorrow: the 6, 29 and churn-1 days ending today.
        "n7": d - timedelta(days=5),
        "n30": d - timedelta(days=28),
        "nchurn": d - timedelta(days=churn_days - 2),
        "d0": d,
        "d1": d,
        # Nudge days are the nudge time zone's; a day either side bounds the index scan, the
        # instants decide.
        "ret_first": d - timedelta(days=1),
        "ret_last": d + timedelta(days=3),
        "return_hours": RETURN_HOURS,
    }


@dataclass
class OrgDay:
    """One segment's day (a rolled row or a live one)."""

    day: date
    learners: int = 0
    dau: int = 0
    wau: int = 0
    mau: int = 0
    ever_active: int = 0
    churned: int = 0
    sessions: int = 0
    practice_due: int = 0
    practice_on_time: int = 0
    goals_due: int = 0
    goals_met: int = 0
    suggestions_offered: int = 0
    suggestions_accepted: int = 0
    nudges: dict = field(default_factory=dict)
    control_learners: int = 0
    control_returned: int = 0
    handoffs_sent: int = 0
    handoffs_accepted: int = 0
    accept_seconds: float = 0.0
    llm_cost_usd: float = 0.0

    @classmethod
    def of(cls, day: date, row) -> OrgDay:
        values = {k: v for k, v in dict(row._mapping).items() if k in cls.__dataclass_fields__}
        values["day"] = day
        values["llm_cost_usd"] = float(values.get("llm_cost_usd") or 0)
        values["accept_seconds"] = float(values.get("accept_seconds") or 0)
        return cls(**values)


async def live_day(
    session: AsyncSession,
    organization_id: uuid.UUID,
    segment: str,
    segment_id: uuid.UUID,
    day: Day,
    *,
    today: bool,
    churn_days: int,
) -> OrgDay:
    statement = day_statement(today=today, one_segment=True, sessions_present=await sessions.available(session))
    params = day_params(organization_id, day, churn_days) | {"segment": segment, "segment_id": segment_id}
    row = (await session.execute(text(statement), params)).first()
    return OrgDay.of(day.day, row) if row is not None else OrgDay(day.day)
