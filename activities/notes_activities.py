"""Activities of TopicNotesWorkflow."""

from __future__ import annotations

from sqlalchemy import Numeric, cast, func, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.llm import prompts
from activities.course_brief import brief_of, load_course
from activities.errors import SubjectGoneError
from activities.heartbeat import heartbeating
from activities.llm.gateway import LlmGateway
from studyflow.content_rules.notes_markdown import render_notes
from db.models import Course, Topic
from db.status_guard import mark_failed
from studyflow.contracts.activity_io import FailureInput, TopicNotesResult, TopicRef
from studyflow.contracts.llm_drafts import TopicNotesDraft
from studyflow.settings import Settings


class NotesActivities:
    def __init__(self, settings: Settings, session_factory: async_sessionmaker[AsyncSession], llm: LlmGateway):
        self._sessions = session_factory
        self._llm = llm
        self._few_shot = settings.llm_few_shot

    @activity.defn
    async def generate_topic_notes(self, ref: TopicRef) -> TopicNotesResult:
        async with self._sessions() as session:
            topic = await session.get(Topic, ref.topic_id)
            if topic is None:
                raise SubjectGoneError(f"topic {ref.topic_id} no longer exists")
            if topic.status == "completed":
                return TopicNotesResult(status="completed")
            course = await load_course(session, topic.course_id)
            brief, course_id = brief_of(course), course.id
            title, chapter_title, summary = topic.title, topic.chapter_title, topic.summary or ""
            generation = topic.retry_count

        async with heartbeating():
            result = await self._llm.generate(
                prompts.topic_notes(brief, chapter_title, title, summary, few_shot=self._few_shot),
                TopicNotesDraft,
                subject_id=str(ref.topic_id),
                # One paid reply per generation round; a failed round bumps retry_count → new key.
                idempotency_key=f"topic-notes:{ref.topic_id}:{generation}",
            )
        notes_md = render_notes(title, result.value)

        async with self._sessions.begin() as session:
            completed = await session.scalar(
                update(Topic)
                .where(Topic.id == ref.topic_id, Topic.status != "completed")
                .values(
                    notes_md=notes_md,
                    notes_model=result.model,
                    status="completed",
                    error=None,
                    generated_at=func.now(),
                )
                .returning(Topic.id)
            )
            if completed is not None:
                # Same transaction as the topic change: progress can never disagree with topics.
                done = Course.topics_completed + 1
                await session.execute(
                    update(Course)
                    .where(Course.id == course_id)
                    .values(
                        topics_completed=done,
                        progress_pct=func.round(cast(done * 100, Numeric) / func.nullif(Course.topics_total, 0), 2),
                    )
                )
        return TopicNotesResult(status="completed")

    @activity.defn
    async def mark_topic_failed(self, data: FailureInput) -> None:
        await mark_failed(self._sessions, Topic, data.subject_id, data.error)
