"""Activities of RemediationWorkflow: one plan per low-score attempt, one section per weak topic."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.course_brief import brief_of, load_course
from activities.embedders import Embedder
from activities.errors import SubjectGoneError
from activities.heartbeat import heartbeating
from activities.llm import prompts
from activities.llm.errors import LlmOutputInvalidError
from activities.llm.gateway import LlmGateway
from activities.material import chunks_by_id, has_material, outline_chunk_ids, topic_material, topic_sentences
from activities.retrieval import Retriever
from db.announcements import announce_ready
from db.models import ContentChunk, Course, QuizAttempt, RemediationPlan, StudyContent, Topic
from db.status_guard import mark_failed
from studyflow.content_rules.output_checks import WAY_FORWARD, plain_reason, remediation_problems
from studyflow.content_rules.study_validation import validate_quiz
from studyflow.contracts.activity_io import FailureInput, PlanRef
from studyflow.contracts.llm_drafts import QuizDraft, RemediationDraft
from studyflow.engines import EXTRACTIVE
from studyflow.extractive.cards import definitions
from studyflow.extractive.centrality import key_indexes
from studyflow.extractive.study_set import study_set
from studyflow.local_day import today_in
from studyflow.settings import Settings
from studyflow.statuses import GenerationStatus

PRACTICE_QUESTIONS = 3
CONTEXT_CHUNKS = 4


class RemediationActivities:
    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        llm: LlmGateway,
        embedder: Embedder,
    ):
        self._settings = settings
        self._sessions = session_factory
        self._llm = llm
        self._embedder = embedder
        self._retriever = Retriever.from_settings(settings, session_factory)
        self._few_shot = settings.llm_few_shot

    @activity.defn
    async def generate_remediation_plan(self, ref: PlanRef) -> int:
        async with self._sessions() as session:
            plan = await session.get(RemediationPlan, ref.plan_id)
            if plan is None:
                raise SubjectGoneError(f"remediation plan {ref.plan_id} no longer exists")
            if plan.status == GenerationStatus.completed:
                return len((plan.plan or {}).get("topics", []))
            attempt = await session.get(QuizAttempt, plan.quiz_attempt_id)
            quiz = await session.get(StudyContent, attempt.study_content_id) if attempt else None
            if attempt is None or quiz is None:
                raise SubjectGoneError(f"attempt of plan {ref.plan_id} no longer exists")
            course = await load_course(session, plan.course_id)
            topic_ids = [uuid.UUID(t) for t in attempt.weak_topics]
            topics = {t.id: t for t in await session.scalars(select(Topic).where(Topic.id.in_(topic_ids)))}
            retry = plan.retry_count
            engine = plan.engine
            sourced = await has_material(session, course.id)
        extractive = self._settings.engine(has_material=sourced) == EXTRACTIVE
        questions = {q["id"]: q for q in (quiz.payload or {}).get("questions", [])}
        missed_by_topic: dict[str, list[str]] = {}
        for item in attempt.feedback:
            if not item["correct"] and item.get("topic_id"):
                missed_by_topic.setdefault(item["topic_id"], []).append(questions[item["question_id"]]["question"])

        sections = []
        brief = brief_of(course)
        for topic_id in topic_ids:
            topic = topics.get(topic_id)
            if topic is None:
                continue  # the topic was removed with its course section: nothing to remediate
            if engine == "template":  # the learner's allowance for written plans is used up
                sections.append(_from_the_quiz(topic, attempt.feedback, questions))
                continue
            if extractive:
                sections.append(await self._from_material(course, topic))
                continue
            context = await self._topic_context(course.owner_id, course.id, topic)
            prompt = prompts.remediation(
                brief,
                topic.title,
                missed_by_topic.get(str(topic_id), []),
                context,
                PRACTICE_QUESTIONS,
                few_shot=self._few_shot,
            )
            async with heartbeating():
                result = await self._llm.generate(
                    prompt,
                    RemediationDraft,
                    subject_id=str(ref.plan_id),
                    user_id=course.owner_id,
                    idempotency_key=f"remediation:{ref.plan_id}:{topic_id}:{retry}",
                )
            draft = result.value
            missed = missed_by_topic.get(str(topic_id), [])
            reference = prompts.reference_for(prompt, [brief.topic, topic.title, *missed, *context])
            if problems := remediation_problems(draft, reference):
                raise LlmOutputInvalidError(
                    f"The plan for '{topic.title}' could not be written: {plain_reason(problems)}. {WAY_FORWARD}"
                )
            for question in draft.practice_questions:
                question.topic_ref = "T1"
            practice = validate_quiz(QuizDraft(questions=draft.practice_questions), {"T1"})
            if not practice.records:
                raise LlmOutputInvalidError(f"remediation for {topic.title}: no valid practice question")
            sections.append(
                {
                    "topic_id": str(topic_id),
                    "topic_title": topic.title,
                    "explanation": draft.explanation,
                    "key_points": draft.key_points,
                    "practice_questions": [
                        {k: v for k, v in record.items() if k != "topic_ref"} for record in practice.records
                    ],
                    "model": result.model,
                }
            )
        async with self._sessions.begin() as session:
            done = (
                await session.execute(
                    update(RemediationPlan)
                    .where(RemediationPlan.id == ref.plan_id, RemediationPlan.status == GenerationStatus.generating)
                    .values(status=GenerationStatus.completed, plan={"topics": sections}, error=None)
                    .returning(RemediationPlan.user_id, RemediationPlan.course_id)
                )
            ).first()
            if done is not None:
                topic = await session.scalar(select(Course.topic).where(Course.id == done.course_id))
                await announce_ready(
                    session,
                    user_id=done.user_id,
                    what="remediation",
                    subject_id=ref.plan_id,
                    name=topic or "your course",
                    day=today_in(self._settings.day_timezone),
                )
        return len(sections)

    async def _from_material(self, course, topic: Topic) -> dict:
        """A plan from the topic's own passages: its key sentences as the explanation, the terms it
        defines as key points, and practice questions cut from it, like the quiz's."""
        chunk_ids = outline_chunk_ids(course, topic)
        if not chunk_ids:
            [vector] = await self._embedder.embed([topic.title])
            found = await self._retriever.search(
                owner_id=course.owner_id, course_id=course.id, query_text=topic.title, query_vector=vector, k=4
            )
            chunk_ids = [c.chunk_id for c in found if c.source_id is not None]
        async with self._sessions() as session:
            chunks = await chunks_by_id(session, chunk_ids)
        material = await topic_sentences(self._embedder, chunks)
        if not material.sentences:
            raise LlmOutputInvalidError(f"Your material has no sentences on '{topic.title}' to build a plan from.")
        key = [material.sentences[i] for i in key_indexes(material.vectors, 3)]
        explanation = " ".join(f"“{s.text}” ({material.label_of(s)})" for s in key)
        points = [f"{d.term}: {d.rest}" for d in definitions(material.sentences)[:5]] or [s.text for s in key]
        practice = study_set("quiz", [topic_material("T1", topic.title, material)], PRACTICE_QUESTIONS)
        return {
            "topic_id": str(topic.id),
            "topic_title": topic.title,
            "explanation": f"What your material says about {topic.title}: {explanation}",
            "key_points": points,
            "practice_questions": [{k: v for k, v in m.record.items() if k != "topic_ref"} for m in practice],
            "model": EXTRACTIVE,
        }

    async def _topic_context(self, owner_id: uuid.UUID, course_id: uuid.UUID, topic: Topic) -> list[str]:
        async with self._sessions() as session:
            texts = list(
                await session.scalars(
                    select(ContentChunk.text)
                    .where(ContentChunk.topic_id == topic.id)
                    .order_by(ContentChunk.chunk_index)
                    .limit(CONTEXT_CHUNKS)
                )
            )
        if texts:
            return texts
        # No notes indexed for this topic yet: fall back to course material about it.
        [vector] = await self._embedder.embed([topic.title])
        chunks = await self._retriever.search(
            owner_id=owner_id,
            course_id=course_id,
            query_text=topic.title,
            query_vector=vector,
            k=CONTEXT_CHUNKS,
        )
        return [c.text for c in chunks if c.course_id == course_id]

    @activity.defn
    async def mark_remediation_failed(self, data: FailureInput) -> None:
        await mark_failed(self._sessions, RemediationPlan, data.subject_id, data.error)


def _from_the_quiz(topic: Topic, feedback: list[dict], questions: dict[str, dict]) -> dict:
    """A plan section without the LLM (the learner's allowance for written plans is used up): the
    explanations and key points of the questions missed on this topic, and those questions to
    practise again — the quiz's own, already checked, material."""
    missed = [
        questions[item["question_id"]]
        for item in feedback
        if not item["correct"] and item.get("topic_id") == str(topic.id) and item["question_id"] in questions
    ]
    key_points = list(dict.fromkeys(point for q in missed for point in q.get("key_points", [])))
    return {
        "topic_id": str(topic.id),
        "topic_title": topic.title,
        "explanation": " ".join(q["explanation"] for q in missed if q.get("explanation"))
        or f"Go back over {topic.title} in your notes, then try these questions again.",
        "key_points": key_points,
        "practice_questions": [
            {
                "question": q["question"],
                "options": q["options"],
                "answer_index": q["answer_index"],
                "explanation": q.get("explanation", ""),
                "key_points": q.get("key_points", []),
            }
            for q in missed
        ],
        "model": "template",
    }
