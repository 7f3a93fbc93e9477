"""Activities of StudyContentWorkflow: flashcards and quizzes.

cache lookup → (hit: serve) → retrieval → LLM with the retrieved chunks → drop invalid records →
persist → cache store. Every write is guarded by the row's status, so retries change nothing twice.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.cache.request_text import normalize_request
from activities.cache.semantic_cache import CacheScope, SemanticCache
from activities.course_brief import brief_of
from activities.embedders import Embedder
from activities.errors import SubjectGoneError
from activities.grading.short_answer_gate import gate_short_answers
from activities.heartbeat import heartbeating
from activities.llm import prompts
from activities.llm.errors import LlmOutputInvalidError
from activities.llm.gateway import LlmGateway
from activities.llm.ledger import LedgerEntry, LlmLedger
from activities.material import chunks_by_id, outline_chunk_ids, topic_material, topic_sentences
from activities.quality_gate import QualityGate, llm_repairer, no_repair, thresholds_from
from activities.retrieval import Retriever
from db.announcements import announce_ready
from db.models import ContentChunk, Course, CourseSource, StudyContent, Topic
from db.status_guard import mark_failed
from studyflow.content_rules.output_checks import WAY_FORWARD
from studyflow.content_rules.quality_gate import summary
from studyflow.content_rules.study_validation import validate_set
from studyflow.contracts.activity_io import (
    BeginResult,
    CacheDecision,
    ContentRef,
    FailureInput,
    GenerateStudyContentInput,
    GenerateStudyContentResult,
    RetrievedContext,
    ServeCachedInput,
)
from studyflow.contracts.llm_drafts import FlashcardSetDraft, QuizDraft, ShortAnswerSetDraft
from studyflow.engines import EXTRACTIVE
from studyflow.extractive.short_answers import short_answer_items
from studyflow.extractive.study_set import study_set
from studyflow.free_text.item_checks import records_from_draft
from studyflow.local_day import today_in
from studyflow.product_metrics import CACHE_LOOKUPS
from studyflow.settings import Settings
from studyflow.statuses import GenerationStatus

# Free-text preferences may describe the learner; such requests never enter the shared cache.
_PERSONAL_PREFERENCES = ("goals", "learning_style")


@dataclass(frozen=True)
class _Job:
    content: StudyContent
    course: Course
    topics: list[Topic]
    has_sources: bool = False

    @property
    def refs(self) -> dict[str, Topic]:
        return {f"T{i + 1}": topic for i, topic in enumerate(self.topics)}

    @property
    def request_text(self) -> str:
        return normalize_request(self.course.topic)

    @property
    def cacheable(self) -> bool:
        # A course from the learner's own material is theirs alone: never shared through the cache.
        prefs = self.course.preferences or {}
        return not self.has_sources and not any(prefs.get(key) for key in _PERSONAL_PREFERENCES)


class StudyContentActivities:
    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        llm: LlmGateway,
        ledger: LlmLedger,
        embedder: Embedder,
    ):
        self._settings = settings
        self._sessions = session_factory
        self._llm = llm
        self._ledger = ledger
        self._embedder = embedder
        self._cache = SemanticCache(settings, session_factory)
        self._retriever = Retriever.from_settings(settings, session_factory)
        self._gate = QualityGate(embedder, thresholds_from(settings))

    # --- helpers -------------------------------------------------------------------------
    async def _load(self, content_id: uuid.UUID) -> _Job:
        async with self._sessions() as session:
            content = await session.get(StudyContent, content_id)
            if content is None:
                raise SubjectGoneError(f"study content {content_id} no longer exists")
            course = await session.get(Course, content.course_id)
            if course is None:
                raise SubjectGoneError(f"course {content.course_id} no longer exists")
            topics = (
                await session.scalars(
                    select(Topic).where(Topic.course_id == course.id).order_by(Topic.chapter_index, Topic.topic_index)
                )
            ).all()
            has_sources = await session.scalar(
                select(CourseSource.source_id).where(CourseSource.course_id == course.id).limit(1)
            )
        return _Job(content, course, list(topics), has_sources is not None)

    def _size(self, kind: str) -> int:
        return self._settings.quiz_questions if kind == "quiz" else self._settings.flashcards_per_set

    def _scope(self, job: _Job) -> CacheScope:
        return CacheScope(
            kind=job.content.type,
            model=self._settings.openai_model,
            prompt_version=prompts.PROMPT_VERSION,
            difficulty=job.course.difficulty,
            course_type=job.course.course_type,
            language=(job.course.preferences or {}).get("language", "en"),
            size=self._size(job.content.type),
        )

    async def _complete(
        self,
        content_id: uuid.UUID,
        payload: dict,
        model: str | None,
        served_from: str,
        quality_report: dict | None = None,
    ) -> bool:
        async with self._sessions.begin() as session:
            done = (
                await session.execute(
                    update(StudyContent)
                    .where(StudyContent.id == content_id, StudyContent.status == GenerationStatus.generating)
                    .values(
                        status=GenerationStatus.completed,
                        payload=payload,
                        model=model,
                        served_from=served_from,
                        error=None,
                        quality_report=quality_report,
                    )
                    .returning(StudyContent.course_id, StudyContent.type)
                )
            ).first()
            if done is not None:
                owner = select(Course.owner_id, Course.topic).where(Course.id == done.course_id)
                course = (await session.execute(owner)).first()
                if course is not None:
                    await announce_ready(
                        session,
                        user_id=course.owner_id,
                        what="quiz" if done.type == "quiz" else "flashcards",
                        subject_id=content_id,
                        name=course.topic,
                        day=today_in(self._settings.day_timezone),
                    )
        return done is not None

    # --- activities ----------------------------------------------------------------------
    @activity.defn
    async def begin_study_content(self, ref: ContentRef) -> BeginResult:
        async with self._sessions.begin() as session:
            status = await session.scalar(
                select(StudyContent.status).where(StudyContent.id == ref.content_id).with_for_update()
            )
            if status is None:
                raise SubjectGoneError(f"study content {ref.content_id} no longer exists")
            if status == GenerationStatus.completed:
                return BeginResult(already_completed=True)
            await session.execute(
                update(StudyContent)
                .where(StudyContent.id == ref.content_id)
                .values(status=GenerationStatus.generating, error=None)
            )
        return BeginResult(already_completed=False)

    @activity.defn
    async def lookup_cache(self, ref: ContentRef) -> CacheDecision:
        job = await self._load(ref.content_id)
        if not job.cacheable:
            return CacheDecision()
        [vector] = await self._embedder.embed([job.request_text])
        found = await self._cache.lookup(self._scope(job), job.request_text, vector)
        CACHE_LOOKUPS.labels(found.hit.tier if found.hit else "near" if found.near else "miss").inc()
        if found.hit:
            return CacheDecision(
                hit_entry_id=found.hit.entry_id, hit_tier=found.hit.tier, similarity=found.hit.similarity
            )
        if found.near:
            return CacheDecision(near_entry_id=found.near.entry_id, similarity=found.near.similarity)
        return CacheDecision()

    @activity.defn
    async def serve_cached(self, data: ServeCachedInput) -> bool:
        job = await self._load(data.content_id)
        entry = await self._cache.load(data.entry_id, count_hit=True)
        if entry is None:
            return False
        payload = await self._attach_topics(entry.response, job)
        if data.served_from == "near_hit_fallback":
            payload["near_hit"] = {
                "similarity": data.similarity,
                "cached_request": entry.request_text,
                "reason": f"the LLM failed: {data.llm_error}",
            }
        served = await self._complete(data.content_id, payload, entry.model, data.served_from)
        if served:
            await self._ledger.record(
                LedgerEntry(
                    purpose=job.content.type,
                    provider="none",
                    model=entry.model,
                    latency_ms=0,
                    outcome="cache_hit",
                    cache_tier=data.served_from,
                    prompt_version=entry.prompt_version,
                    subject_id=str(data.content_id),
                )
            )
        return served

    @activity.defn
    async def retrieve_context(self, ref: ContentRef) -> RetrievedContext:
        job = await self._load(ref.content_id)
        query = f"{job.course.topic}. " + "; ".join(t.title for t in job.topics)
        [vector] = await self._embedder.embed([query])
        chunks = await self._retriever.search(
            owner_id=job.course.owner_id,
            course_id=job.course.id,
            query_text=query,
            query_vector=vector,
            k=self._settings.retrieval_top_k,
        )
        return RetrievedContext(chunk_ids=[c.chunk_id for c in chunks], tiers=[c.tier for c in chunks])

    @activity.defn
    async def generate_study_content(self, data: GenerateStudyContentInput) -> GenerateStudyContentResult:
        job = await self._load(data.content_id)
        if job.content.status == GenerationStatus.completed:
            return GenerateStudyContentResult(kept=len(_records(job.content.payload)), dropped=0)
        if self._settings.engine(has_material=job.has_sources) == EXTRACTIVE:
            return await self._extractive_set(data, job)
        async with self._sessions() as session:
            found = {
                row.id: row
                for row in await session.execute(
                    select(ContentChunk.id, ContentChunk.text, ContentChunk.source_id, ContentChunk.embedding).where(
                        ContentChunk.id.in_(data.chunk_ids)
                    )
                )
            }
        chunks = [found[i] for i in data.chunk_ids if i in found]
        # The learner's material first, each excerpt with an S-number the records cite.
        cited = [row for row in chunks if row.source_id is not None]
        context = [row.text for row in cited] + [row.text for row in chunks if row.source_id is None]
        source_refs = {f"S{i + 1}": row for i, row in enumerate(cited)}
        refs = job.refs
        topic_list = [(ref, topic.title) for ref, topic in refs.items()]
        brief, kind, size = brief_of(job.course), job.content.type, self._size(job.content.type)
        options: dict[str, Any] = dict(few_shot=self._settings.llm_few_shot, source_refs=list(source_refs))
        output_type: type[QuizDraft] | type[FlashcardSetDraft]
        if kind == "quiz":
            prompt, output_type = prompts.quiz(brief, topic_list, context, size, **options), QuizDraft
        else:
            prompt, output_type = prompts.flashcards(brief, topic_list, context, size, **options), FlashcardSetDraft
        key = f"study-content:{data.content_id}:{job.content.retry_count}"
        call: dict[str, Any] = dict(subject_id=str(data.content_id), user_id=job.course.owner_id)
        async with heartbeating():
            result = await self._llm.generate(prompt, output_type, idempotency_key=key, **call)
        validated = validate_set(kind, result.value, set(refs))

        repair = llm_repairer(
            self._llm,
            prompts.RepairContext(kind, brief, topic_list, context, **options),
            output_type,
            set(refs),
            idempotency_key=f"{key}:repair",
            **call,
        )
        gated = await self._gate.apply(
            kind,
            validated.records,
            requested=size,
            invalid=len(validated.dropped),
            excerpts=[list(row.embedding) for row in chunks],
            repair=repair,
            reference=prompts.reference_for(prompt, [brief.topic, *(t for _, t in topic_list), *context]),
        )
        report = gated.report
        minimum = math.ceil(size * self._settings.study_content_min_kept_share)
        if len(gated.records) < minimum:
            # This reply (and its rewrite) will not be served: the next attempt asks afresh.
            await self._ledger.reject([key, f"{key}:repair"])
            noun = "questions" if kind == "quiz" else "cards"
            raise LlmOutputInvalidError(
                f"Only {len(gated.records)} of the {size} {noun} the model wrote passed the quality checks; "
                f"at least {minimum} are needed. {WAY_FORWARD} (Dropped for {summary(report.dropped_by_reason)}; "
                f"{report.invalid} not valid{': ' + '; '.join(validated.dropped[:3]) if validated.dropped else ''}.)"
            )
        records = []
        for index, record in enumerate(gated.records, start=1):
            topic = refs[record.pop("topic_ref")]
            record["chunk_ids"] = await self._cited_chunks(record, record.pop("source_refs"), source_refs)
            records.append({"id": f"{kind[0]}{index}", **record, "topic_id": str(topic.id), "topic_title": topic.title})
        payload: dict[str, Any] = {_records_key(kind): records, "dropped": validated.dropped}
        if kind == "quiz" and self._settings.quiz_short_answers and cited:
            short, short_report = await self._llm_short_answers(
                f"{key}:short", call, brief, topic_list, cited, source_refs, refs
            )
            payload["questions"] += short
            payload["short_answer_report"] = short_report
        await self._complete(data.content_id, payload, result.model, "llm", quality_report=report.model_dump())
        return GenerateStudyContentResult(kept=len(records), dropped=report.invalid + report.dropped)

    async def _llm_short_answers(
        self, key: str, call: dict, brief, topic_list, cited: list, source_refs: dict, refs: dict
    ) -> tuple[list[dict], dict]:
        """Short-answer items from the learner's excerpts (only a course with material has
        excerpts to ground rubric points in), checked by the gate; a reply that cannot be
        used costs the quiz nothing but these items."""
        context = [row.text for row in cited]
        prompt = prompts.short_answer_items(brief, topic_list, context, self._settings.quiz_short_answers)
        try:
            async with heartbeating():
                drafted = await self._llm.generate(prompt, ShortAnswerSetDraft, idempotency_key=key, **call)
        except LlmOutputInvalidError:
            return [], {"asked": self._settings.quiz_short_answers, "kept": 0, "dropped_by_reason": {"invalid": 1}}
        records = records_from_draft(drafted.value.items, set(refs))
        kept, report = await gate_short_answers(
            self._embedder, records, context, [list(row.embedding) for row in cited]
        )
        out = []
        for index, record in enumerate(kept, start=1):
            topic = refs[record.pop("topic_ref")]
            named = [str(source_refs[r].id) for r in dict.fromkeys(record.pop("source_refs")) if r in source_refs]
            out.append(
                {
                    "id": f"s{index}",
                    **record,
                    "chunk_ids": named,
                    "topic_id": str(topic.id),
                    "topic_title": topic.title,
                }
            )
        return out, report

    async def _extractive_set(self, data: GenerateStudyContentInput, job: _Job) -> GenerateStudyContentResult:
        """Cards or questions cut from the course's material, each from one sentence of one
        passage, which it cites. No model is called; the quality gate still checks every item
        (a flawed one is dropped: there is no writer to send it back to)."""
        kind, size = job.content.type, self._size(job.content.type)
        materials, chunk_of = [], {}
        for ref, topic in job.refs.items():
            chunk_ids = outline_chunk_ids(job.course, topic)
            if not chunk_ids:
                [vector] = await self._embedder.embed([topic.title])
                found = await self._retriever.search(
                    owner_id=job.course.owner_id,
                    course_id=job.course.id,
                    query_text=topic.title,
                    query_vector=vector,
                    k=self._settings.retrieval_top_k,
                )
                chunk_ids = [c.chunk_id for c in found if c.source_id is not None]
            async with self._sessions() as session:
                chunks = await chunks_by_id(session, chunk_ids)
            found_sentences = await topic_sentences(self._embedder, chunks)
            materials.append(topic_material(ref, topic.title, found_sentences))
            chunk_of[ref] = found_sentences
        made = study_set(kind, materials, size)
        records, excerpts = [], {}
        for item in made:
            chunk = chunk_of[item.record["topic_ref"]].chunk_of(item.sentence)
            excerpts[chunk.id] = chunk.embedding
            records.append({**item.record, "chunk_ids": [str(chunk.id)]})
        gated = await self._gate.apply(
            kind, records, requested=size, invalid=0, excerpts=list(excerpts.values()), repair=no_repair
        )
        if not gated.records:
            noun = "questions" if kind == "quiz" else "cards"
            raise LlmOutputInvalidError(
                f"Your material gave no {noun} that pass the quality checks: it has too few definitions and "
                f"explanatory sentences. Add a source that explains its terms, or connect a capable model."
            )
        out = []
        for index, record in enumerate(gated.records, start=1):
            topic = job.refs[record.pop("topic_ref")]
            out.append({"id": f"{kind[0]}{index}", **record, "topic_id": str(topic.id), "topic_title": topic.title})
        payload: dict[str, Any] = {_records_key(kind): out, "dropped": []}
        if kind == "quiz" and self._settings.quiz_short_answers:
            made_short = short_answer_items(materials, self._settings.quiz_short_answers)
            records = [item.record for item in made_short]
            chunks = [chunk_of[item.record["topic_ref"]].chunk_of(item.sentence) for item in made_short]
            kept, short_report = await gate_short_answers(
                self._embedder, records, [c.text for c in chunks], [c.embedding for c in chunks]
            )
            for index, record in enumerate(kept, start=1):
                chunk = chunks[records.index(record)]
                topic = job.refs[record.pop("topic_ref")]
                payload["questions"].append(
                    {
                        "id": f"s{index}",
                        **record,
                        "chunk_ids": [str(chunk.id)],
                        "topic_id": str(topic.id),
                        "topic_title": topic.title,
                    }
                )
            payload["short_answer_report"] = short_report
        await self._complete(data.content_id, payload, EXTRACTIVE, EXTRACTIVE, quality_report=gated.report.model_dump())
        return GenerateStudyContentResult(kept=len(out), dropped=gated.report.dropped)

    @activity.defn
    async def store_in_cache(self, ref: ContentRef) -> bool:
        job = await self._load(ref.content_id)
        content = job.content
        if not job.cacheable or content.status != GenerationStatus.completed or content.served_from != "llm":
            return False
        if content.payload is None or content.model is None:  # a completed LLM set has both
            return False
        [vector] = await self._embedder.embed([job.request_text])
        # Course-specific ids stay out of the shared cache; topic titles are remapped on serve.
        portable = {
            key: [{k: v for k, v in r.items() if k != "topic_id"} for r in value] if isinstance(value, list) else value
            for key, value in content.payload.items()
            if key != "dropped"
        }
        await self._cache.store(self._scope(job), job.request_text, vector, portable, content.model)
        return True

    @activity.defn
    async def mark_study_content_failed(self, data: FailureInput) -> None:
        await mark_failed(self._sessions, StudyContent, data.subject_id, data.error)

    async def _cited_chunks(self, record: dict, cited_refs: list[str], source_refs: dict) -> list[str]:
        """The learner's excerpts a record comes from: the ones it cites, or when it cites none
        that were shown, the excerpt closest to what it asks and answers."""
        if not source_refs:
            return []
        named = [str(source_refs[ref].id) for ref in dict.fromkeys(cited_refs) if ref in source_refs]
        if named:
            return named
        if "question" in record:
            claim = f"{record['question']} {record['options'][record['answer_index']]}"
        else:
            claim = f"{record['front']} {record['back']}"
        [vector] = await self._embedder.embed([claim])
        closest = max(
            source_refs.values(), key=lambda row: sum(a * b for a, b in zip(vector, row.embedding, strict=False))
        )
        return [str(closest.id)]

    async def _attach_topics(self, cached: dict, job: _Job) -> dict:
        """Point each cached record at the most similar topic of *this* course."""
        records_key = "questions" if "questions" in cached else "cards"
        records = [dict(r) for r in cached.get(records_key, [])]
        if not job.topics:
            return {records_key: records}
        titles = sorted({r.get("topic_title", "") for r in records})
        vectors = await self._embedder.embed(titles + [t.title for t in job.topics])
        cached_vectors, topic_vectors = vectors[: len(titles)], vectors[len(titles) :]
        best: dict[str, Topic] = {}
        for title, vector in zip(titles, cached_vectors, strict=True):
            scores = [sum(a * b for a, b in zip(vector, tv, strict=True)) for tv in topic_vectors]
            best[title] = job.topics[scores.index(max(scores))]
        for record in records:
            topic = best[record.get("topic_title", "")]
            record["topic_id"], record["topic_title"] = str(topic.id), topic.title
        return {records_key: records}


def _records_key(kind: str) -> str:
    return "questions" if kind == "quiz" else "cards"


def _records(payload: dict | None) -> list:
    if not payload:
        return []
    return payload.get("questions") or payload.get("cards") or []
