"""The reconciler's two jobs: start workflows the API recorded but never started (it died between
its commit and the start), and repair rows left in progress with no workflow behind them."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from db.models import Course, RemediationPlan, Source, StudyContent, Topic, TutoringSession, WorkflowStart
from services.outbox import discard_start, mark_started, start_recorded
from services.undo import NOT_STARTED, undo
from studyflow import workflow_ids
from studyflow.contracts.activity_io import RelayInput, StuckRowsInput, StuckRowsRepaired
from studyflow.object_store import ObjectStore
from studyflow.settings import Settings
from studyflow.statuses import CourseStatus, GenerationStatus, SessionStatus, SourceStatus, SubjectKind, TopicStatus

log = logging.getLogger("studyflow.reconciler")


@dataclass(frozen=True)
class StuckRow:
    kind: SubjectKind
    subject_id: uuid.UUID
    workflow_id: str


class ReconcilerActivities:
    def __init__(
        self, settings: Settings, session_factory: async_sessionmaker[AsyncSession], client: Client, store: ObjectStore
    ) -> None:
        self._settings = settings
        self._sessions = session_factory
        self._client = client
        self._store = store

    @activity.defn
    async def relay_workflow_starts(self, data: RelayInput) -> int:
        """Starts recorded workflows the API did not; returns how many it started."""
        async with self._sessions() as session:
            records = list(
                await session.scalars(
                    select(WorkflowStart)
                    .where(
                        WorkflowStart.started_at.is_(None),
                        WorkflowStart.created_at < func.now() - timedelta(seconds=data.relay_after_seconds),
                        WorkflowStart.task_queue.in_(data.task_queues) if data.task_queues else true(),
                    )
                    .order_by(WorkflowStart.created_at)
                    .limit(data.batch_size)
                )
            )
            started = 0
            for record in records:
                activity.heartbeat(record.workflow_id)
                try:
                    run = await self._describe(record.workflow_id)
                    # A run that began after the record was written is the API's own start: only mark it.
                    if run is None or run.start_time < record.created_at:
                        await start_recorded(self._client, record)
                        log.warning("relayed the start of %s (the API did not start it)", record.workflow_id)
                        started += 1
                except RPCError as exc:
                    await self._relay_failed(session, record, exc, data.max_failures)
                    continue
                await mark_started(session, record.workflow_id, recorded_at=record.created_at)
                await session.commit()
        return started

    async def _relay_failed(self, session: AsyncSession, record: WorkflowStart, exc: RPCError, limit: int) -> None:
        """Counted; once a record has failed `limit` relays, its subject is undone the one way."""
        record.relay_failures += 1
        record.last_error = str(exc)[:2000]
        # services/outbox.py writes both from a StartRequest; a record older than them has neither.
        if record.relay_failures < limit or record.subject_kind is None or record.subject_id is None:
            log.warning("relay of %s failed (%d of %d): %s", record.workflow_id, record.relay_failures, limit, exc)
            await session.commit()
            return
        kind, subject_id = SubjectKind(record.subject_kind), record.subject_id
        await discard_start(session, record.workflow_id)
        await session.commit()
        await undo(self._sessions, self._store, self._settings.day_timezone, kind, subject_id, NOT_STARTED)
        log.error("gave up starting %s after %d relays (%s): its %s was failed", record.workflow_id, limit, exc, kind)

    @activity.defn
    async def repair_stuck_rows(self, data: StuckRowsInput) -> StuckRowsRepaired:
        """Rows in progress for longer than `stuck_after_seconds` whose workflow is gone: restarted
        from their recorded start when Temporal has no trace of it (at most `max_restarts` times),
        else failed with the quota given back. A closed workflow is never restarted: whatever
        closed it (an operator's terminate included) meant it."""
        repaired = StuckRowsRepaired()
        async with self._sessions() as session:
            stuck = await self._stuck_rows(session, timedelta(seconds=data.stuck_after_seconds), data.batch_size)
            for row in stuck:
                activity.heartbeat(row.workflow_id)
                run = await self._describe(row.workflow_id)
                state = (
                    "missing"
                    if run is None
                    else "running"
                    if run.status == WorkflowExecutionStatus.RUNNING
                    else "closed"
                )
                if state == "running":
                    continue
                record = await session.get(WorkflowStart, row.workflow_id)
                if record is not None and record.started_at is None:
                    continue  # the relay's to start
                if state == "missing" and record is not None and record.restarts < data.max_restarts:
                    await start_recorded(self._client, record)
                    record.restarts += 1
                    await session.commit()
                    log.warning("restarted %s: Temporal had no trace of it", row.workflow_id)
                    repaired.restarted += 1
                    continue
                await session.rollback()
                if await self._fail(row):
                    log.warning("failed stuck %s %s (workflow %s)", row.kind, row.subject_id, state)
                    repaired.failed += 1
        return repaired

    async def _describe(self, workflow_id: str) -> WorkflowExecutionDescription | None:
        """The latest run under this id, or None when Temporal has no trace of one."""
        try:
            return await self._client.get_workflow_handle(workflow_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return None
            raise

    @staticmethod
    async def _stuck_rows(session: AsyncSession, older_than: timedelta, limit: int) -> list[StuckRow]:
        cutoff = func.now() - older_than
        rows: list[StuckRow] = []
        for course_id, workflow_id in await session.execute(
            select(Course.id, Course.workflow_id)
            .where(Course.status == CourseStatus.generating, Course.updated_at < cutoff)
            .limit(limit)
        ):
            # Set whenever a course starts generating (services/courses.py), to this same id.
            rows.append(
                StuckRow(SubjectKind.course, course_id, workflow_id or workflow_ids.course_generation(course_id))
            )
        for (content_id,) in await session.execute(
            select(StudyContent.id)
            .where(StudyContent.status == GenerationStatus.generating, StudyContent.updated_at < cutoff)
            .limit(limit)
        ):
            rows.append(StuckRow(SubjectKind.study_content, content_id, workflow_ids.study_content(content_id)))
        for (topic_id,) in await session.execute(
            select(Topic.id).where(Topic.status == TopicStatus.generating, Topic.updated_at < cutoff).limit(limit)
        ):
            rows.append(StuckRow(SubjectKind.topic, topic_id, workflow_ids.topic_notes(topic_id)))
        for plan_id, attempt_id in await session.execute(
            select(RemediationPlan.id, RemediationPlan.quiz_attempt_id)
            .where(RemediationPlan.status == GenerationStatus.generating, RemediationPlan.updated_at < cutoff)
            .limit(limit)
        ):
            rows.append(StuckRow(SubjectKind.remediation, plan_id, workflow_ids.remediation(attempt_id)))
        for source_id, workflow_id in await session.execute(
            select(Source.id, Source.workflow_id)
            .where(Source.status == SourceStatus.processing, Source.updated_at < cutoff)
            .limit(limit)
        ):
            # Set with every `processing` status (services/sources.py); the first run's id otherwise.
            rows.append(
                StuckRow(SubjectKind.source, source_id, workflow_id or workflow_ids.source_ingestion(source_id))
            )
        for session_id, version in await session.execute(
            select(TutoringSession.id, TutoringSession.analysis_version)
            .where(TutoringSession.status == SessionStatus.processing, TutoringSession.updated_at < cutoff)
            .limit(limit)
        ):
            rows.append(StuckRow(SubjectKind.session, session_id, workflow_ids.session_analysis(session_id, version)))
        return rows

    async def _fail(self, row: StuckRow) -> bool:
        """Marks the row failed (only if still in progress) and gives back the daily quota it took."""
        return await undo(self._sessions, self._store, self._settings.day_timezone, row.kind, row.subject_id)
