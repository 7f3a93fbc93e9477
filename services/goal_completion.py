"""Completing goals, exactly once. Whoever changes data a goal is measured on (the notes activity:
course progress; an attempt: minutes and mastery; a review: reviews) calls
`complete_reached_goals` in the same transaction. The status guard (`active` → `met`) lets one
observer win however many look at once, and the winner records the goal's
SubjectSuggestionsWorkflow start in the outbox with it; the caller starts it after the commit
(services/workflow_starter.py), and the reconciler relays it if that start never happens."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.goal_measures import goal_rows, measures_of
from db.models import Goal, WorkflowStart
from services import llm_allowance
from services.actor import Actor
from services.llm_allowance import Allowance, LlmWork
from services.outbox import StartRequest, record_start
from studyflow import search_attributes, start_inputs, workflow_ids, workflow_types
from studyflow.contracts.workflow_inputs import SubjectSuggestionsInput
from studyflow.goal_progress import progress
from studyflow.settings import Settings
from studyflow.statuses import GoalStatus, SubjectKind


async def complete_reached_goals(
    session: AsyncSession, settings: Settings, actor: Actor, today: date, now: datetime | None = None
) -> list[WorkflowStart]:
    """Marks every active goal the data now says is reached as met; returns the starts to make."""
    rows = await goal_rows(session, actor.id, today, settings.day_timezone, statuses=(GoalStatus.active,))
    reached = [row["id"] for row in rows if progress(measures_of(row), today).reached]
    return await mark_met(session, settings, actor, reached, now)


async def mark_met(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    goal_ids: list[uuid.UUID],
    now: datetime | None = None,
) -> list[WorkflowStart]:
    """Each goal met here (not before) gets one suggestions run; from the learner's history alone
    when their allowance for LLM suggestions is used up (services/llm_allowance.py)."""
    if not goal_ids:
        return []
    met = (
        await session.scalars(
            update(Goal)
            .where(Goal.id.in_(goal_ids), Goal.user_id == actor.id, Goal.status == GoalStatus.active)
            .values(status=GoalStatus.met, met_at=func.now())
            .returning(Goal.id)
        )
    ).all()
    if not met:
        return []
    allowance = await llm_allowance.allow(session, settings, actor, LlmWork.suggestions, now=now)
    return [
        await record_start(
            session,
            StartRequest(
                workflow_type=workflow_types.SUBJECT_SUGGESTIONS,
                argument=SubjectSuggestionsInput(
                    goal_id=goal_id,
                    retry=start_inputs.llm_retry(settings),
                    llm_allowed=allowance == Allowance.llm,
                ),
                workflow_id=workflow_ids.subject_suggestions(goal_id),
                task_queue=settings.task_queue_background,
                search_attributes=search_attributes.for_user(actor.id),
                subject_kind=SubjectKind.goal,
                subject_id=goal_id,
            ),
        )
        for goal_id in met
    ]
