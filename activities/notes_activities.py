"""Activities of TopicNotesWorkflow."""

from __future__ import annotations

from sqlalchemy import Numeric, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client

from activities.course_brief import brief_of, load_course
from activities.embedders import Embedder
from activities.errors import SubjectGoneError
from activities.heartbeat import heartbeating
from activities.llm import prompts
from activities.llm.errors import LlmOutputInvalidError
from activities.llm.gateway import LlmGateway
from activities.material import chunks_by_id, has_material, outline_chunk_ids, topic_sentences
from activities.retrieval import Retriever
from db.announcements import announce_ready
from db.models import Course, CourseSource, Topic
from db.status_guard import mark_failed
from services.actor import actor_of
from services.goal_completion import complete_reached_goals
from services.workflow_starter import WorkflowStarter
from studyflow.content_rules.notes_markdown import render_notes
from studyflow.content_rules.output_checks import WAY_FORWARD, notes_problems, plain_reason
from studyflow.contracts.activity_io import FailureInput, TopicNotesResult, TopicRef
from studyflow.contracts.llm_drafts import TopicNotesDraft
from studyflow.engines import EXTRACTIVE
from studyflow.extractive import notes as extractive_notes
from studyflow.extractive.centrality import key_indexes
from studyflow.local_day import today_in
from studyflow.settings import Settings
from studyflow.statuses import TopicStatus


class NotesActivities:
    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        llm: LlmGateway,
        embedder: Embedder,
        client: Client,
    ):
        self._settings = settings
        self._sessions = session_factory
        self._starter = WorkflowStarter.with_client(client, session_factory)
        self._llm = llm
        self._embedder = embedder
        self._few_shot = settings.llm_few_shot
        self._top_k = settings.retrieval_top_k
        self._retriever = Retriever.from_settings(settings, session_factory)

    async def _source_context(self, owner_id, course_id, title: str, summary: str) -> list[str]:
        """A course built from the learner's material writes its notes from that material."""
        async with self._sessions() as session:
            linked = await session.scalar(
                select(CourseSource.source_id).where(CourseSource.course_id == course_id).limit(1)
            )
        if linked is None:
            return []
        query = f"{title}. {summary}"
        [vector] = await self._embedder.embed([query])
        chunks = await self._retriever.search(
            owner_id=owner_id, course_id=course_id, query_text=query, query_vector=vector, k=self._top_k
        )
        return [chunk.text for chunk in chunks if chunk.source_id is not None]

    @activity.defn
    async def generate_topic_notes(self, ref: TopicRef) -> TopicNotesResult:
        async with self._sessions() as session:
            topic = await session.get(Topic, ref.topic_id)
            if topic is None:
                raise SubjectGoneError(f"topic {ref.topic_id} no longer exists")
            if topic.status == TopicStatus.completed:
                return TopicNotesResult(status=TopicStatus.completed)
            course = await load_course(session, topic.course_id)
            brief, course_id, owner_id = brief_of(course), course.id, course.owner_id
            title, chapter_title, summary = topic.title, topic.chapter_title, topic.summary or ""
            generation = topic.retry_count
            sourced = await has_material(session, course_id)
            outlined = outline_chunk_ids(course, topic)
        if self._settings.engine(has_material=sourced) == EXTRACTIVE:
            notes_md, model = await self._extractive(owner_id, course_id, title, summary, outlined), EXTRACTIVE
        else:
            notes_md, model = await self._written(
                brief, ref, owner_id, course_id, topic_texts=(title, chapter_title, summary), generation=generation
            )

        async with self._sessions.begin() as session:
            completed = (
                await session.execute(
                    update(Topic)
                    .where(Topic.id == ref.topic_id, Topic.status != TopicStatus.completed)
                    .values(
                        notes_md=notes_md,
                        notes_model=model,
                        status=TopicStatus.completed,
                        error=None,
                        generated_at=func.now(),
                    )
                    .returning(Topic.id, Topic.background_queued)
                )
            ).first()
            if completed is not None and not completed.background_queued:
                # Notes a learner asked for (not the background backlog's): tell them they are here.
                await announce_ready(
                    session,
                    user_id=owner_id,
                    what="notes",
                    subject_id=ref.topic_id,
                    name=title,
                    day=today_in(self._settings.day_timezone),
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
                # The course's progress changed: a goal to finish it may be met now (exactly once).
                goal_starts = await complete_reached_goals(
                    session, self._settings, await actor_of(session, owner_id), today_in(self._settings.day_timezone)
                )
        if completed is not None and goal_starts:
            await self._starter.start(goal_starts)
        return TopicNotesResult(status=TopicStatus.completed)

    async def _written(self, brief, ref: TopicRef, owner_id, course_id, *, topic_texts, generation: int):
        title, chapter_title, summary = topic_texts
        context = await self._source_context(owner_id, course_id, title, summary)
        prompt = prompts.topic_notes(brief, chapter_title, title, summary, few_shot=self._few_shot, context=context)
        # One paid reply per generation round; a failed round bumps retry_count → new key.
        key = f"topic-notes:{ref.topic_id}:{generation}"
        async with heartbeating():
            result = await self._llm.generate(
                prompt, TopicNotesDraft, subject_id=str(ref.topic_id), user_id=owner_id, idempotency_key=key
            )
        reference = prompts.reference_for(prompt, [brief.topic, title, chapter_title, summary, *context])
        problems = notes_problems(result.value, reference)
        if problems:
            # Notes holding the prompt, JSON or a runaway code block are not notes: never served.
            await self._llm.reject([key])
            raise LlmOutputInvalidError(f"The notes could not be written: {plain_reason(problems)}. {WAY_FORWARD}")
        return render_notes(title, result.value), result.model

    async def _extractive(self, owner_id, course_id, title: str, summary: str, outlined: list) -> str:
        """The topic's own passages condensed: its most central sentences, quoted with where
        they come from. The chunks are the ones the outline gave the topic, or (an outline
        written by a model) the passages retrieval finds for its title."""
        if not outlined:
            query = f"{title}. {summary}"
            [vector] = await self._embedder.embed([query])
            found = await self._retriever.search(
                owner_id=owner_id, course_id=course_id, query_text=query, query_vector=vector, k=self._top_k
            )
            outlined = [chunk.chunk_id for chunk in found if chunk.source_id is not None]
        async with self._sessions() as session:
            chunks = await chunks_by_id(session, outlined)
        material = await topic_sentences(self._embedder, chunks)
        if not material.sentences:
            raise LlmOutputInvalidError(
                f"Your material has no sentences to make notes on '{title}' from (its passages may be tables, "
                "code or lists only). Open the passages themselves, or add a source that explains this topic."
            )
        key = [
            extractive_notes.Quoted(material.sentences[i], material.label_of(material.sentences[i]))
            for i in key_indexes(material.vectors, extractive_notes.KEY_SENTENCES)
        ]
        labels = {i: chunk.label for i, chunk in enumerate(chunks)}
        return extractive_notes.render(title, key, material.sentences, labels)

    @activity.defn
    async def mark_topic_failed(self, data: FailureInput) -> None:
        await mark_failed(self._sessions, Topic, data.subject_id, data.error)
