"""Lazy background generation of notes, at low priority.

The backlog lives in the database (`topics.background_queued`), not in a task queue: at most
BACKGROUND_GLOBAL_CONCURRENCY generations (and BACKGROUND_PER_USER_CONCURRENCY per learner) are
handed to Temporal at a time, on the background queue with its own worker slots. A topic a
learner opens is therefore either still in the database backlog — the API claims it and starts
it on the interactive queue at once — or already being generated, one LLM call from done. Both
paths use the workflow id `topic-notes-<id>` and the same pending→generating status guard, so a
topic is generated once.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from db.models import Topic
from studyflow import search_attributes, start_inputs, workflow_ids
from studyflow.contracts.activity_io import CourseRef, DispatchResult
from studyflow.contracts.workflow_inputs import BackgroundDispatchInput, TopicNotesInput
from studyflow.settings import Settings
from studyflow.statuses import TopicStatus

_CLAIM = text(
    """
    WITH running AS (
        SELECT c.owner_id, count(*) AS n
          FROM topics t JOIN courses c ON c.id = t.course_id
         WHERE t.background_queued AND t.status = 'generating'
         GROUP BY c.owner_id
    ), ranked AS (
        SELECT t.id, c.owner_id,
               row_number() OVER (PARTITION BY c.owner_id
                                  ORDER BY c.created_at, t.chapter_index, t.topic_index) AS rn
          FROM topics t JOIN courses c ON c.id = t.course_id
         WHERE t.background_queued AND t.status = 'pending'
    ), chosen AS (
        SELECT r.id FROM ranked r LEFT JOIN running ON running.owner_id = r.owner_id
         WHERE r.rn + coalesce(running.n, 0) <= :per_user
         ORDER BY r.rn, r.id   -- round robin across learners: nobody's ten courses starve others
         LIMIT greatest(0, :global_cap - (SELECT coalesce(sum(n), 0) FROM running))
    )
    UPDATE topics t SET status = 'generating', error = NULL, updated_at = now()
      FROM courses c
     WHERE t.id IN (SELECT id FROM chosen) AND t.status = 'pending' AND c.id = t.course_id
    RETURNING t.id, t.course_id, c.owner_id
    """
)


class BackgroundActivities:
    def __init__(self, settings: Settings, session_factory: async_sessionmaker[AsyncSession], client: Client):
        self._settings = settings
        self._sessions = session_factory
        self._client = client

    @activity.defn
    async def enqueue_course_notes(self, ref: CourseRef) -> int:
        async with self._sessions.begin() as session:
            # execute() is typed as returning a Result; for an UPDATE it is a CursorResult.
            queued = cast(
                CursorResult[Any],
                await session.execute(
                    update(Topic)
                    .where(Topic.course_id == ref.course_id, Topic.status == TopicStatus.pending)
                    .values(background_queued=True)
                ),
            ).rowcount
        if queued:
            await self._client.start_workflow(
                "BackgroundNotesDispatcherWorkflow",
                BackgroundDispatchInput(retry=start_inputs.llm_retry(self._settings)),
                id=workflow_ids.background_dispatcher(self._settings.task_queue_background),
                task_queue=self._settings.task_queue_background,
                start_signal="wake",
            )
        return queued

    @activity.defn
    async def dispatch_background_topics(self, data: BackgroundDispatchInput) -> DispatchResult:
        """Claim as many backlog topics as the caps allow and start their generation."""
        await self._recover_orphans()
        async with self._sessions.begin() as session:
            claimed = (
                await session.execute(
                    _CLAIM,
                    {
                        "per_user": self._settings.background_per_user_concurrency,
                        "global_cap": self._settings.background_global_concurrency,
                    },
                )
            ).all()
        for topic_id, course_id, owner_id in claimed:
            try:
                await self._client.start_workflow(
                    "TopicNotesWorkflow",
                    TopicNotesInput(
                        topic_id=topic_id,
                        retry=data.retry,
                        background_task_queue=self._settings.task_queue_background,
                        cpu_task_queue=self._settings.task_queue_cpu,
                    ),
                    id=workflow_ids.topic_notes(topic_id),
                    task_queue=self._settings.task_queue_background,
                    # Account deletion finds a learner's running work by this attribute.
                    search_attributes=search_attributes.for_course(owner_id, course_id),
                )
            except Exception:
                async with self._sessions.begin() as session:  # back to the backlog, retried later
                    await session.execute(
                        update(Topic)
                        .where(Topic.id == topic_id, Topic.status == TopicStatus.generating)
                        .values(status=TopicStatus.pending)
                    )
                raise
        async with self._sessions() as session:
            backlog = await session.scalar(
                text("SELECT count(*) FROM topics WHERE background_queued AND status IN ('pending', 'generating')")
            )
        return DispatchResult(started=len(claimed), backlog=backlog or 0)

    async def _recover_orphans(self) -> None:
        """A dispatcher that died between claiming and starting leaves topics `generating` with
        no workflow: after a grace period they return to the backlog."""
        async with self._sessions() as session:
            stale: list[uuid.UUID] = list(
                await session.scalars(
                    text(
                        "SELECT id FROM topics WHERE background_queued AND status = 'generating' "
                        "AND updated_at < now() - make_interval(secs => :grace)"
                    ),
                    {"grace": timedelta(minutes=10).total_seconds()},
                )
            )
        for topic_id in stale:
            try:
                description = await self._client.get_workflow_handle(workflow_ids.topic_notes(topic_id)).describe()
                if description.status == WorkflowExecutionStatus.RUNNING:
                    continue
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    continue
            async with self._sessions.begin() as session:
                await session.execute(
                    update(Topic)
                    .where(Topic.id == topic_id, Topic.status == TopicStatus.generating)
                    .values(status=TopicStatus.pending)
                )
