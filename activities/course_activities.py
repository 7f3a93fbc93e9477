"""Activities of CourseGenerationWorkflow."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.course_brief import brief_of, load_course
from activities.heartbeat import heartbeating
from activities.llm import prompts
from activities.llm.errors import LlmOutputInvalidError
from activities.llm.gateway import LlmGateway
from activities.material import course_documents, has_material
from activities.sources.course_material import spread_excerpts
from db.announcements import announce_ready
from db.models import Course, Topic
from db.status_guard import mark_failed
from db.user_counters import record_activity_day
from studyflow.content_rules.outline_shape import manual_outline, normalize_outline
from studyflow.content_rules.output_checks import outline_problems, plain_reason
from studyflow.contracts.activity_io import (
    CourseReadyInput,
    FailureInput,
    GeneratedOutline,
    OutlineRequest,
    PersistOutlineInput,
    PersistOutlineResult,
)
from studyflow.contracts.llm_drafts import CourseOutlineDraft, OutlineChapterDraft, OutlineTopicDraft
from studyflow.engines import EXTRACTIVE
from studyflow.extractive.outline import OutlinePlan, document_outline
from studyflow.local_day import today_in
from studyflow.settings import Settings
from studyflow.statuses import CourseStatus

# A course from the learner's sources: enough of the material for the outline to follow it,
# short enough for a small model's context.
OUTLINE_EXCERPTS = 8
OUTLINE_EXCERPT_WORDS = 90


class CourseActivities:
    def __init__(self, settings: Settings, session_factory: async_sessionmaker[AsyncSession], llm: LlmGateway):
        self._settings = settings
        self._sessions = session_factory
        self._llm = llm

    @activity.defn
    async def generate_outline(self, request: OutlineRequest) -> GeneratedOutline:
        async with self._sessions() as session:
            course = await load_course(session, request.course_id)
            brief = brief_of(course)
            sourced = await has_material(session, course.id)
            if self._settings.engine(has_material=sourced) == EXTRACTIVE:
                documents = await course_documents(session, course.id)
                plan = document_outline(documents, course.topic)
                if plan is not None:
                    return _extractive_outline(plan)
            material = await spread_excerpts(session, course.id, OUTLINE_EXCERPTS, OUTLINE_EXCERPT_WORDS)
        shape = request.shape
        prompt = prompts.course_outline(
            brief,
            shape.chapters,
            shape.min_topics,
            shape.max_topics,
            few_shot=self._settings.llm_few_shot,
            material=material,
        )
        key = f"course-outline:{request.course_id}"
        async with heartbeating():
            result = await self._llm.generate(
                prompt,
                CourseOutlineDraft,
                subject_id=str(request.course_id),
                user_id=course.owner_id,
                idempotency_key=key,
            )
        reference = prompts.reference_for(prompt, [brief.topic, *material])
        problems = outline_problems(result.value, reference)
        if problems:
            # An outline copied from the prompt's worked example, or with markup in its titles,
            # is no outline of this course: the next attempt asks afresh, and after the last one
            # the course gets the manual outline (the error says why).
            await self._llm.reject([key])
            raise LlmOutputInvalidError(f"the outline the model wrote is unusable: {plain_reason(problems)}")
        return GeneratedOutline(outline=normalize_outline(result.value, shape, brief.topic), model=result.model)

    @activity.defn
    async def persist_outline(self, data: PersistOutlineInput) -> PersistOutlineResult:
        """Outline, topics and counters in one transaction; a retry finds the topics and stops."""
        async with self._sessions.begin() as session:
            course = await session.scalar(select(Course).where(Course.id == data.course_id).with_for_update())
            if course is None:
                return PersistOutlineResult(course_found=False)
            if course.outline is not None:
                return PersistOutlineResult(
                    course_found=True, topics_total=course.topics_total, outline_source=course.outline_source
                )
            sections = None
            if data.generated is not None:
                outline, source, model = data.generated.outline, data.generated.engine, data.generated.model
                sections = data.generated.sections
            else:
                outline, source, model = manual_outline(course.topic, data.shape), "fallback", None
            rows = [
                {
                    "course_id": course.id,
                    "chapter_index": chapter_index,
                    "chapter_title": chapter.title,
                    "topic_index": topic_index,
                    "title": topic.title,
                    "summary": topic.summary or None,
                }
                for chapter_index, chapter in enumerate(outline.chapters)
                for topic_index, topic in enumerate(chapter.topics)
            ]
            await session.execute(insert(Topic).on_conflict_do_nothing(), rows)
            stored = outline.model_dump()
            if sections:  # each topic keeps the chunks of the learner's material it covers
                for chapter, chapter_sections in zip(stored["chapters"], sections, strict=False):
                    for topic, chunk_ids in zip(chapter["topics"], chapter_sections, strict=False):
                        topic["chunk_ids"] = chunk_ids
            course.outline = stored
            course.outline_source = source
            course.outline_model = model
            course.error = data.llm_error if source == "fallback" else None
            course.topics_total = len(rows)
            course.topics_completed = 0
            course.progress_pct = Decimal(0)
        return PersistOutlineResult(course_found=True, topics_total=len(rows), outline_source=source)

    @activity.defn
    async def mark_course_ready(self, data: CourseReadyInput) -> bool:
        """Status guard: only the generating→ready transition credits the learner's streak, so a
        retried activity never counts the same course twice."""
        day = today_in(self._settings.day_timezone, data.occurred_at)
        async with self._sessions.begin() as session:
            ready = (
                await session.execute(
                    update(Course)
                    .where(Course.id == data.course_id, Course.status == CourseStatus.generating)
                    .values(status=CourseStatus.ready)
                    .returning(Course.owner_id, Course.topic)
                )
            ).first()
            if ready is None:
                return False
            await record_activity_day(session, ready.owner_id, day, data.occurred_at)
            await announce_ready(
                session, user_id=ready.owner_id, what="course", subject_id=data.course_id, name=ready.topic, day=day
            )
        return True

    @activity.defn
    async def mark_course_failed(self, data: FailureInput) -> None:
        await mark_failed(self._sessions, Course, data.subject_id, data.error)


def _extractive_outline(plan: OutlinePlan) -> GeneratedOutline:
    outline = CourseOutlineDraft(
        title=plan.title[:300],
        chapters=[
            OutlineChapterDraft(
                title=chapter.title[:300],
                topics=[OutlineTopicDraft(title=topic.title[:300], summary=topic.summary) for topic in chapter.topics],
            )
            for chapter in plan.chapters
        ],
    )
    sections = [[topic.chunk_ids for topic in chapter.topics] for chapter in plan.chapters]
    return GeneratedOutline(outline=outline, model=EXTRACTIVE, engine=EXTRACTIVE, sections=sections)
