"""Activities of SubjectSuggestionsWorkflow: three next subjects for a met goal, from the
learner's history, stored with one inbox announcement. Idempotent: suggestions are unique per
(goal, position) and only the transaction that stores them announces them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.errors import SubjectGoneError
from activities.heartbeat import heartbeating
from activities.llm import prompts
from activities.llm.gateway import LlmGateway
from db.goal_measures import goal_rows, measures_of
from db.models import Goal, Notification, SubjectSuggestion
from studyflow.content_rules.subject_suggestions import Suggestion, choose, from_history
from studyflow.contracts.activity_io import GoalRef
from studyflow.contracts.llm_drafts import SubjectSuggestionsDraft
from studyflow.goal_progress import describe
from studyflow.local_day import today_in
from studyflow.settings import Settings
from studyflow.statuses import GoalStatus

KIND = "suggestions"

_HISTORY = text(
    """
    SELECT (SELECT coalesce(json_agg(json_build_array(topic, progress_pct) ORDER BY created_at DESC), '[]')
              FROM (SELECT topic, progress_pct, created_at FROM courses WHERE owner_id = :user_id
                    ORDER BY created_at DESC LIMIT 20) c) AS courses,
           (SELECT coalesce(json_agg(json_build_array(title, mastery) ORDER BY mastery), '[]')
              FROM (SELECT t.title, tm.mastery FROM topic_mastery tm JOIN topics t ON t.id = tm.topic_id
                     WHERE tm.user_id = :user_id ORDER BY tm.mastery LIMIT 3) w) AS weak
    """
)


@dataclass(frozen=True)
class _History:
    goal: Goal
    goal_text: str
    courses: list[tuple[str, float]]
    weak: list[tuple[str, float]]


class SuggestionActivities:
    def __init__(self, settings: Settings, session_factory: async_sessionmaker[AsyncSession], llm: LlmGateway):
        self._settings = settings
        self._sessions = session_factory
        self._llm = llm

    async def _history(self, goal_id: uuid.UUID) -> _History | None:
        """None once the goal's suggestions are stored (a retried or repeated run does nothing)."""
        async with self._sessions() as session:
            goal = await session.get(Goal, goal_id)
            if goal is None:
                raise SubjectGoneError(f"goal {goal_id} no longer exists")
            stored = await session.scalar(
                select(SubjectSuggestion.id).where(SubjectSuggestion.goal_id == goal_id).limit(1)
            )
            if stored is not None:
                return None
            today = today_in(self._settings.day_timezone)
            [row] = await goal_rows(
                session,
                goal.user_id,
                today,
                self._settings.day_timezone,
                statuses=(GoalStatus.active, GoalStatus.met, GoalStatus.abandoned),
                goal_id=goal_id,
            )
            history = (await session.execute(_HISTORY, {"user_id": goal.user_id})).mappings().one()
        return _History(
            goal,
            describe(measures_of(row)),
            [(topic, float(pct)) for topic, pct in history["courses"]],
            [(title, float(mastery)) for title, mastery in history["weak"]],
        )

    @activity.defn
    async def suggest_subjects(self, ref: GoalRef) -> int:
        history = await self._history(ref.goal_id)
        if history is None:
            return 0
        async with heartbeating():
            result = await self._llm.generate(
                prompts.subject_suggestions(
                    history.goal_text, history.courses, history.weak, few_shot=self._settings.llm_few_shot
                ),
                SubjectSuggestionsDraft,
                subject_id=str(ref.goal_id),
                user_id=history.goal.user_id,
                idempotency_key=f"subject-suggestions:{ref.goal_id}",
            )
        return await self._store(history, choose(result.value, self._fallback(history), self._taken(history)))

    @activity.defn
    async def suggest_from_history(self, ref: GoalRef) -> int:
        """When the model could not answer: suggestions built from the learner's history alone."""
        history = await self._history(ref.goal_id)
        if history is None:
            return 0
        return await self._store(history, choose(None, self._fallback(history), self._taken(history)))

    @staticmethod
    def _taken(history: _History) -> list[str]:
        return [topic for topic, _ in history.courses]

    @staticmethod
    def _fallback(history: _History) -> list[tuple[str, str]]:
        return from_history(
            [topic for topic, _ in history.courses], [title for title, _ in history.weak], history.goal_text
        )

    async def _store(self, history: _History, suggestions: list[Suggestion]) -> int:
        goal = history.goal
        if not suggestions:
            return 0
        async with self._sessions.begin() as session:
            inserted = (
                await session.scalars(
                    insert(SubjectSuggestion)
                    .values(
                        [
                            {
                                "user_id": goal.user_id,
                                "goal_id": goal.id,
                                "position": position,
                                "topic": s.topic,
                                "reason": s.reason,
                                "source": s.source,
                            }
                            for position, s in enumerate(suggestions)
                        ]
                    )
                    .on_conflict_do_nothing(index_elements=["goal_id", "position"])
                    .returning(SubjectSuggestion.id)
                )
            ).all()
            if inserted:
                topics = "; ".join(s.topic for s in suggestions)
                await session.execute(
                    insert(Notification)
                    .values(
                        user_id=goal.user_id,
                        kind=KIND,
                        reason="goal_met",
                        goal_id=goal.id,
                        day=today_in(self._settings.day_timezone),
                        message=f"You met your goal to {history.goal_text}. What to study next: {topics}.",
                        source=suggestions[0].source if suggestions else "template",
                    )
                    .on_conflict_do_nothing(index_elements=["goal_id"], index_where=Notification.goal_id.is_not(None))
                )
        return len(inserted)
