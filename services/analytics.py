"""Learning-improvement and organisation analytics: who may see which figures (the policy module
decides), and the figures of a period added up from its days (db/analytics/reads.py). The
definitions are in docs/analytics.md; each is tested on a hand-built data set."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.analytics.org_days import ALL, GROUP, SUMMED, TUTOR, OrgDay
from db.analytics.reads import Window, learner_window, organization_window
from db.models import Group, Membership
from services.actor import Actor
from services.errors import ServiceError
from services.policy import Action, LearnerData, OrgResource, authorize, authorize_org
from studyflow.settings import Settings
from studyflow.statuses import Role

MAX_DAYS = 366
DEFAULT_DAYS = 30
PARTS = 3  # score "before" is the first third of the period's days, "after" the last third


def window(settings: Settings, today: date, first: date | None, last: date | None) -> Window:
    last = min(last or today, today)  # days to come have no figures yet
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ServiceError(422, f"from ({first}) must not be after to ({last})")
    if (last - first).days + 1 > MAX_DAYS:
        raise ServiceError(422, f"a period is at most {MAX_DAYS} days")
    return Window(first, last, today, settings.day_timezone, settings.analytics_live_days_max)


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _nudge_figures(reason: str, nudged: int, returned: int, control_rate: float | None) -> dict:
    return_rate = _rate(returned, nudged)
    lift = round(return_rate - control_rate, 4) if return_rate is not None and control_rate is not None else None
    return {"reason": reason, "nudged": nudged, "returned": returned, "return_rate": return_rate, "lift": lift}


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 2) if count else None


# --- one learner ------------------------------------------------------------------------------
@dataclass
class LearnerImprovement:
    learner_id: uuid.UUID
    first: date
    last: date
    days: int
    score_before: float | None
    score_after: float | None
    score_change: float | None
    attempts_before: int
    attempts_after: int
    attempts: int
    trend: list[dict]
    mastered_start: int
    mastered_end: int
    mastered_change: int
    mastery_threshold: float
    concepts: list[dict]
    sessions: int
    active_days: int
    engagement_rate: float | None
    reviews: int
    recalled: int
    recall_rate: float | None
    predicted_reviews: int
    predicted_retention: float | None
    measured_retention: float | None
    assignments_due: int
    assignments_on_time: int
    on_time_rate: float | None
    not_rolled: int


_CONCEPTS = text(
    """
    SELECT t.id AS topic_id, t.title AS topic, coalesce(c.outline ->> 'title', c.topic) AS course,
           round(tm.mastery::numeric, 3)::float AS mastery, tm.answers
      FROM topic_mastery tm JOIN topics t ON t.id = tm.topic_id JOIN courses c ON c.id = t.course_id
     WHERE tm.user_id = :learner
     ORDER BY tm.mastery DESC, t.title
     LIMIT 50
    """
)


async def learner_improvement(
    session: AsyncSession, settings: Settings, actor: Actor, learner_id: uuid.UUID, period: Window
) -> LearnerImprovement:
    await authorize(session, actor, learner_id, LearnerData.analytics, Action.read, f"learner {learner_id}")
    found, mastered_start = await learner_window(session, learner_id, period)
    days = found.days
    part = max(1, len(days) // PARTS)
    before, after = days[:part], days[-part:]

    def score(ds) -> tuple[float | None, int]:
        n = sum(d.attempts for d in ds)
        return _mean(sum(d.score_sum for d in ds), n), n

    score_before, n_before = score(before)
    score_after, n_after = score(after)
    mastered, trend = mastered_start, []
    for start in range(0, len(days), 7):
        week = days[start : start + 7]
        for d in week:
            mastered = d.mastered if d.mastered is not None else mastered
        week_score, n = score(week)
        reviews = sum(d.reviews for d in week)
        trend.append(
            {
                "week_start": week[0].day,
                "attempts": n,
                "average_score": week_score,
                "active_days": sum(d.active for d in week),
                "reviews": reviews,
                "recall_rate": _rate(sum(d.recalled for d in week), reviews),
                "mastered": mastered,
            }
        )
    reviews, predicted = sum(d.reviews for d in days), sum(d.predicted_reviews for d in days)
    due = sum(d.assignments_due for d in days)
    on_time = sum(d.assignments_on_time for d in days)
    active = sum(d.active for d in days)
    concepts = [
        dict(row._mapping) | {"mastered": row.mastery >= settings.analytics_mastery_threshold}
        for row in await session.execute(_CONCEPTS, {"learner": learner_id})
    ]
    return LearnerImprovement(
        learner_id=learner_id,
        first=period.first,
        last=period.last,
        days=len(days),
        score_before=score_before,
        score_after=score_after,
        score_change=round(score_after - score_before, 2)
        if score_before is not None and score_after is not None
        else None,
        attempts_before=n_before,
        attempts_after=n_after,
        attempts=sum(d.attempts for d in days),
        trend=trend,
        mastered_start=mastered_start,
        mastered_end=mastered,
        mastered_change=mastered - mastered_start,
        mastery_threshold=settings.analytics_mastery_threshold,
        concepts=concepts,
        sessions=sum(d.sessions for d in days),
        active_days=active,
        engagement_rate=_rate(active, len(days)),
        reviews=reviews,
        recalled=sum(d.recalled for d in days),
        recall_rate=_rate(sum(d.recalled for d in days), reviews),
        predicted_reviews=predicted,
        predicted_retention=_rate(sum(d.predicted_sum for d in days), predicted),
        measured_retention=_rate(sum(d.predicted_recalled for d in days), predicted),
        assignments_due=due,
        assignments_on_time=on_time,
        on_time_rate=_rate(on_time, due),
        not_rolled=found.not_rolled,
    )


# --- an organisation --------------------------------------------------------------------------
@dataclass
class Overview:
    organization_id: uuid.UUID
    segment: str
    segment_id: uuid.UUID
    first: date
    last: date
    days: int
    learners: int
    dau: int
    wau: int
    mau: int
    dau_average: float | None
    sessions: int
    sessions_per_learner: float | None
    practice_due: int
    practice_on_time: int
    practice_completion_rate: float | None
    churned: int
    ever_active: int
    churn_rate: float | None
    churn_days: int
    goals_due: int
    goals_met: int
    goal_completion_rate: float | None
    suggestions_offered: int
    suggestions_accepted: int
    suggestion_acceptance_rate: float | None
    nudges: list[dict]
    control_learners: int
    control_returned: int
    control_return_rate: float | None
    handoffs_sent: int
    handoffs_accepted: int
    mean_seconds_to_accept: float | None
    llm_cost_usd: float
    llm_cost_per_learner_usd: float | None
    series: list[dict] = field(default_factory=list)
    not_rolled: int = 0


async def segment_for(
    session: AsyncSession,
    actor: Actor,
    organization_id: uuid.UUID,
    group_id: uuid.UUID | None,
    tutor_id: uuid.UUID | None,
) -> tuple[str, uuid.UUID]:
    """Whose figures: an admin's choice (everyone, one tutor's learners, one group); a tutor sees
    their own learners, or a group of their own."""
    authorize_org(actor, organization_id, OrgResource.analytics, Action.read, f"organisation {organization_id}")
    if group_id is not None and tutor_id is not None:
        raise ServiceError(422, "filter by a group or by a tutor, not both")
    if group_id is not None:
        group = await session.get(Group, group_id)
        if group is None or group.organization_id != organization_id:
            raise ServiceError(404, f"group {group_id} not found")
        if actor.role == Role.tutor and group.created_by != actor.id:
            raise ServiceError(403, f"group {group.name!r} is another tutor's")
        return GROUP, group_id
    if actor.role == Role.tutor:
        if tutor_id not in (None, actor.id):
            raise ServiceError(403, "a tutor sees the figures of their own learners")
        return TUTOR, actor.id
    if tutor_id is not None:
        role = await session.scalar(
            select(Membership.role).where(
                Membership.organization_id == organization_id,
                Membership.user_id == tutor_id,
                Membership.removed_at.is_(None),
            )
        )
        if role != Role.tutor:
            raise ServiceError(404, f"tutor {tutor_id} not found in this organisation")
        return TUTOR, tutor_id
    return ALL, organization_id


async def organization_overview(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    organization_id: uuid.UUID,
    period: Window,
    group_id: uuid.UUID | None = None,
    tutor_id: uuid.UUID | None = None,
) -> Overview:
    segment, segment_id = await segment_for(session, actor, organization_id, group_id, tutor_id)
    found = await organization_window(
        session, organization_id, segment, segment_id, period, settings.analytics_churn_days
    )
    return overview_of(organization_id, segment, segment_id, period, found.days, settings, found.not_rolled)


def overview_of(
    organization_id: uuid.UUID,
    segment: str,
    segment_id: uuid.UUID,
    period: Window,
    days: list[OrgDay],
    settings: Settings,
    not_rolled: int = 0,
) -> Overview:
    """A period's figures from its days: events add up; distinct counts are those of its last day."""
    end = days[-1]
    total = {name: sum(getattr(d, name) for d in days) for name in OrgDay.__dataclass_fields__ if name in SUMMED}
    nudges: dict[str, list[int]] = {}
    for d in days:
        for reason, (nudged, returned) in d.nudges.items():
            counts = nudges.setdefault(reason, [0, 0])
            counts[0] += nudged
            counts[1] += returned
    control_rate = _rate(total["control_returned"], total["control_learners"])
    return Overview(
        organization_id=organization_id,
        segment=segment,
        segment_id=segment_id,
        first=period.first,
        last=period.last,
        days=len(days),
        learners=end.learners,
        dau=end.dau,
        wau=end.wau,
        mau=end.mau,
        dau_average=_mean(sum(d.dau for d in days), len(days)),
        sessions=total["sessions"],
        sessions_per_learner=_rate(total["sessions"], end.learners),
        practice_due=total["practice_due"],
        practice_on_time=total["practice_on_time"],
        practice_completion_rate=_rate(total["practice_on_time"], total["practice_due"]),
        churned=end.churned,
        ever_active=end.ever_active,
        churn_rate=_rate(end.churned, end.ever_active),
        churn_days=settings.analytics_churn_days,
        goals_due=total["goals_due"],
        goals_met=total["goals_met"],
        goal_completion_rate=_rate(total["goals_met"], total["goals_due"]),
        suggestions_offered=total["suggestions_offered"],
        suggestions_accepted=total["suggestions_accepted"],
        suggestion_acceptance_rate=_rate(total["suggestions_accepted"], total["suggestions_offered"]),
        nudges=[
            _nudge_figures(reason, nudged, returned, control_rate)
            for reason, (nudged, returned) in sorted(nudges.items())
        ],
        control_learners=total["control_learners"],
        control_returned=total["control_returned"],
        control_return_rate=control_rate,
        handoffs_sent=total["handoffs_sent"],
        handoffs_accepted=total["handoffs_accepted"],
        mean_seconds_to_accept=_mean(total["accept_seconds"], total["handoffs_accepted"]),
        llm_cost_usd=round(total["llm_cost_usd"], 6),
        llm_cost_per_learner_usd=round(total["llm_cost_usd"] / end.learners, 6) if end.learners else None,
        series=[
            {"day": d.day, "learners": d.learners, "dau": d.dau, "wau": d.wau, "mau": d.mau, "churned": d.churned}
            for d in days
        ],
        not_rolled=not_rolled,
    )


CSV_FIGURES = (
    "learners",
    "dau",
    "wau",
    "mau",
    "dau_average",
    "sessions",
    "sessions_per_learner",
    "practice_due",
    "practice_on_time",
    "practice_completion_rate",
    "churned",
    "ever_active",
    "churn_rate",
    "goals_due",
    "goals_met",
    "goal_completion_rate",
    "suggestions_offered",
    "suggestions_accepted",
    "suggestion_acceptance_rate",
    "control_learners",
    "control_returned",
    "control_return_rate",
    "handoffs_sent",
    "handoffs_accepted",
    "mean_seconds_to_accept",
    "llm_cost_usd",
    "llm_cost_per_learner_usd",
)


def overview_rows(overview: Overview) -> list[tuple[str, object]]:
    """The overview as (figure, value) rows: the CSV export."""
    rows: list[tuple[str, object]] = [
        ("from", overview.first),
        ("to", overview.last),
        ("segment", overview.segment),
        ("segment_id", overview.segment_id),
    ]
    rows += [(name, getattr(overview, name)) for name in CSV_FIGURES]
    for nudge in overview.nudges:
        for key in ("nudged", "returned", "return_rate", "lift"):
            rows.append((f"nudges.{nudge['reason']}.{key}", nudge[key]))
    return rows
