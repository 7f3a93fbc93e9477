"""Activities of CourseGenerationWorkflow."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.course_brief import brief_of, load_course
from activities.heartbeat import heartbeating
from activities.llm import prompts
from activities.llm.gateway import LlmGateway
from activities.sources.course_material import spread_excerpts
from db.models import Course, Topic
from db.status_guard import mark_failed
from db.user_counters import record_activity_day
from studyflow.content_rules.outline_shape import manual_outline, normalize_outline
from studyflow.contracts.activity_io import (
    CourseReadyInput,
    FailureInput,
    GeneratedOutline,
    OutlineRequest,
    PersistOutlineInput,
    PersistOutlineResult,
)
from studyflow.contracts.llm_drafts import CourseOutlineDraft
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
            material = await spread_excerpts(session, course.id, OUTLINE_EXCERPTS, OUTLINE_EXCERPT_WORDS)
        shape = request.shape
        async with heartbeating():
            result = await self._llm.generate(
                prompts.course_outline(
                    brief,
                    shape.chapters,
                    shape.min_topics,
                    shape.max_topics,
                    few_shot=self._settings.llm_few_shot,
                    material=material,
                ),
                CourseOutlineDraft,
                subject_id=str(request.course_id),
                user_id=course.owner_id,
                idempotency_key=f"course-outline:{request.course_id}",
            )
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
            if data.generated is not None:
                outline, source, model = data.generated.outline, "llm", data.generated.model
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
            course.outline = outline.model_dump()
            course.outline_source = source
            course.outline_model = model
            course.error = data.llm_error if source == "fallback" else None
            course.topics_total = len(rows)
            course.topics_completed = 0
            course.progress_pct = 0
        return PersistOutlineResult(course_found=True, topics_total=len(rows), outline_source=source)

    @activity.defn
    async def mark_course_ready(self, data: CourseReadyInput) -> bool:
        """Status guard: only the generating→ready transition credits the learner's streak, so a
        retried activity never counts the same course twice."""
        day = today_in(self._settings.day_timezone, data.occurred_at)
        async with self._sessions.begin() as session:
            owner_id = await session.scalar(
                update(Course)
                .where(Course.id == data.course_id, Course.status == CourseStatus.generating)
                .values(status=CourseStatus.ready)
                .returning(Course.owner_id)
            )
            if owner_id is None:
                return False
            await record_activity_day(session, owner_id, day)
        return True

    @activity.defn
    async def mark_course_failed(self, data: FailureInput) -> None:
        await mark_failed(self._sessions, Course, data.subject_id, data.error)
