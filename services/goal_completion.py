"""Completing goals, exactly once. Whoever changes data a goal is measured on (the notes activity:
course progress; an attempt: minutes and mastery; a review: reviews) calls
`complete_reached_goals` in the same transaction. The status guard (`active` → `met`) lets one
observer win however many look at once, and the winner records the goal's
SubjectSuggestionsWorkflow start in the outbox with it; the caller starts it after the commit
(`start_after_commit`), and the reconciler relays it if that start never happens."""

from __future__ import annotations

import logging
import uuid
from datetime import date

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from db.goal_measures import goal_rows, measures_of
from db.models import Goal, WorkflowStart
from studyflow import search_attributes, start_inputs, workflow_ids
from studyflow.contracts.workflow_inputs import SubjectSuggestionsInput
from studyflow.goal_progress import progress
from studyflow.settings import Settings
from studyflow.statuses import GoalStatus
from studyflow.workflow_outbox import mark_started, record_start, start_recorded

log = logging.getLogger("studyflow.goals")
SUGGESTIONS_WORKFLOW = "SubjectSuggestionsWorkflow"  # workflows/subject_suggestions.py


async def complete_reached_goals(
    session: AsyncSession, client: Client, settings: Settings, user_id: uuid.UUID, today: date
) -> list[WorkflowStart]:
    """Marks every active goal the data now says is reached as met; returns the starts to make."""
    rows = await goal_rows(session, user_id, today, settings.day_timezone, statuses=(GoalStatus.active,))
    reached = [row["id"] for row in rows if progress(measures_of(row), today).reached]
    return await mark_met(session, client, settings, user_id, reached)


async def mark_met(
    session: AsyncSession, client: Client, settings: Settings, user_id: uuid.UUID, goal_ids: list[uuid.UUID]
) -> list[WorkflowStart]:
    if not goal_ids:
        return []
    met = (
        await session.scalars(
            update(Goal)
            .where(Goal.id.in_(goal_ids), Goal.user_id == user_id, Goal.status == GoalStatus.active)
            .values(status=GoalStatus.met, met_at=func.now())
            .returning(Goal.id)
        )
    ).all()
    return [
        await record_start(
            session,
            client,
            SUGGESTIONS_WORKFLOW,
            SubjectSuggestionsInput(goal_id=goal_id, retry=start_inputs.llm_retry(settings)),
            id=workflow_ids.subject_suggestions(goal_id),
            task_queue=settings.task_queue_background,
            search_attributes=search_attributes.for_user(user_id),
        )
        for goal_id in met
    ]


async def start_after_commit(session: AsyncSession, client: Client, records: list[WorkflowStart]) -> None:
    """Starts what `complete_reached_goals` recorded, once its transaction has committed. A start
    that fails is left to the reconciler's relay: the goal is met either way."""
    for record in records:
        try:
            await start_recorded(client, record)
            await mark_started(session, record.workflow_id)
            await session.commit()
        except Exception as exc:  # noqa: BLE001 - relayed later; never fail the learner's action
            await session.rollback()
            log.warning("suggestions for a met goal not started now (%s); the reconciler will relay it", exc)
