"""Activities of EngagementNudgesWorkflow: find learners at risk, write one nudge each per day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.heartbeat import heartbeating
from activities.llm import prompts
from activities.llm.errors import LlmOutputInvalidError, LlmUnavailableError
from activities.llm.gateway import LlmGateway
from activities.notifiers import Notifier
from activities.nudge_templates import template_message
from db.goal_measures import goal_rows, measures_of
from db.models import Course, Notification, User
from studyflow.contracts.activity_io import NudgeBatch, NudgeCandidate, NudgePage, NudgeSelection
from studyflow.contracts.llm_drafts import NudgeDraft
from studyflow.goal_progress import describe, progress
from studyflow.local_day import today_in
from studyflow.product_metrics import NUDGES_SENT
from studyflow.settings import Settings
from studyflow.statuses import GoalStatus

KIND = "engagement"  # one kind for every nudge: UNIQUE(user, kind, day) = one nudge a day

_CANDIDATES = text(
    """
    SELECT id, reason FROM (
      SELECT u.id,
             CASE
               WHEN u.last_active_date = :yesterday AND u.streak_current > 0 THEN 'streak_at_risk'
               -- An organisation's learner a week in with few tutoring sessions (SPEC §12): the
               -- sessions with their tutor are what the centre's first week is about.
               WHEN EXISTS (SELECT 1 FROM memberships m
                             WHERE m.user_id = u.id AND m.role = 'learner' AND m.removed_at IS NULL
                               AND (m.created_at AT TIME ZONE :tz)::date = :joined_on)
                    AND (SELECT count(*) FROM tutoring_sessions s
                          WHERE s.learner_id = u.id AND s.status <> 'failed'
                            AND s.session_date <= :day) < :min_sessions THEN 'few_tutoring_sessions'
               WHEN u.last_active_date <= :inactive_since THEN 'inactive'
               WHEN (u.created_at AT TIME ZONE :tz)::date = :joined_on
                    AND u.quiz_attempts < :min_sessions
                    AND (u.last_active_date IS NULL OR u.last_active_date < :day) THEN 'new_learner'
               -- Nudged only if one of them is behind (decided per learner: studyflow.goal_progress).
               WHEN EXISTS (SELECT 1 FROM goals g WHERE g.user_id = u.id AND g.status = 'active') THEN 'goal'
             END AS reason
        FROM users u
       WHERE u.deleted_at IS NULL
         AND (CAST(:after AS uuid) IS NULL OR u.id > CAST(:after AS uuid))
         AND NOT EXISTS (SELECT 1 FROM notifications n
                          WHERE n.user_id = u.id AND n.kind = :kind AND n.day = :day)
    ) c
    WHERE reason IS NOT NULL
    ORDER BY id
    LIMIT :limit
    """
)


class NudgeActivities:
    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        llm: LlmGateway,
        notifier: Notifier,
    ):
        self._settings = settings
        self._sessions = session_factory
        self._llm = llm
        self._notifier = notifier

    @activity.defn
    async def select_nudge_candidates(self, page: NudgePage) -> NudgeSelection:
        day = page.day or today_in(page.timezone, page.now)
        s = self._settings
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    _CANDIDATES,
                    {
                        "day": day,
                        "yesterday": day - timedelta(days=1),
                        "inactive_since": day - timedelta(days=s.nudge_inactive_days),
                        "joined_on": day - timedelta(days=s.nudge_new_learner_days),
                        "min_sessions": s.nudge_new_learner_min_sessions,
                        "tz": page.timezone,
                        "after": page.after_user_id,
                        "kind": KIND,
                        "limit": page.limit,
                    },
                )
            ).all()
        return NudgeSelection(day=day, candidates=[NudgeCandidate(user_id=r.id, reason=r.reason) for r in rows])

    @activity.defn
    async def send_nudges(self, batch: NudgeBatch) -> int:
        created = 0
        for candidate in batch.candidates:
            created += await self._nudge(candidate, batch)
            activity.heartbeat(created)
        return created

    async def _nudge(self, candidate: NudgeCandidate, batch: NudgeBatch) -> bool:
        async with self._sessions() as session:
            user = await session.get(User, candidate.user_id)
            if user is None or user.deleted_at is not None:
                return False
            already = await session.scalar(
                select(Notification.id).where(
                    Notification.user_id == user.id, Notification.kind == KIND, Notification.day == batch.day
                )
            )
            if already:
                return False  # a retried batch skips learners it already nudged
            course_topic = await session.scalar(
                select(Course.topic).where(Course.owner_id == user.id).order_by(Course.created_at.desc()).limit(1)
            )
            email, streak = user.email, user.streak_current
            idle = (batch.day - user.last_active_date).days if user.last_active_date else 0
            behind = await self._goal_behind(session, user.id, batch.day)
        # A goal the learner is behind on is the most specific thing to say; a learner selected
        # only for their goals (reason "goal") is not nudged when none is behind.
        reason = "goal_behind" if behind else candidate.reason
        if reason == "goal":
            return False
        if self._settings.uses_bundled_model:
            # The bundled 135M model's nudges read like someone else's letter ("[user's name]",
            # "{session_title}", emojis, invented facts: tried on every reason). The template says
            # what is true, and no learner is shown the model's guesses.
            message, source = template_message(reason, streak, idle, course_topic, behind), "template"
        else:
            message, source = await self._written(user.id, reason, streak, idle, course_topic, behind, batch.day)
        async with self._sessions.begin() as session:
            inserted = await session.scalar(
                insert(Notification)
                .values(user_id=user.id, kind=KIND, reason=reason, message=message, source=source, day=batch.day)
                .on_conflict_do_nothing(
                    index_elements=["user_id", "kind", "day"],
                    index_where=Notification.goal_id.is_(None)
                    & Notification.dedupe_key.is_(None)
                    & Notification.subject_id.is_(None),
                )
                .returning(Notification.id)
            )
        if inserted is None:
            return False
        # Only the attempt that wrote the row delivers it: never two emails for one nudge.
        await self._notifier.deliver(email, "Time for a quick study session", message)
        NUDGES_SENT.labels(reason, source).inc()
        return True

    async def _written(
        self, user_id, reason: str, streak: int, idle: int, course_topic: str | None, behind, day
    ) -> tuple[str, str]:
        """The nudge in the model's words, or the template's when the model cannot give one."""
        try:
            # Both endpoints may time out before the template stands in: keep the batch alive.
            async with heartbeating():
                result = await self._llm.generate(
                    prompts.nudge(
                        reason, streak, idle, course_topic, few_shot=self._settings.llm_few_shot, goal=behind
                    ),
                    NudgeDraft,
                    subject_id=str(user_id),
                    user_id=user_id,
                    idempotency_key=f"nudge:{user_id}:{day}",
                )
            return result.value.message, "llm"
        except (LlmUnavailableError, LlmOutputInvalidError) as exc:
            activity.logger.warning("nudge for %s falls back to the template: %s", user_id, exc)
            return template_message(reason, streak, idle, course_topic, behind), "template"

    async def _goal_behind(self, session: AsyncSession, user_id, day) -> tuple[str, str] | None:
        """The first active goal the learner is behind on, in words, with its pace."""
        for row in await goal_rows(session, user_id, day, self._settings.day_timezone, statuses=(GoalStatus.active,)):
            measures = measures_of(row)
            judged = progress(measures, day)
            if judged.state == "behind":
                return describe(measures), judged.pace
        return None
