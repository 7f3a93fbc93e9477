"""Activities of SessionAnalysisWorkflow: read the transcript and tell the speakers apart → index
it as the learner's material (chunks by turns, timestamp locators) → one reading per window (the
model's, behind an idempotency key per session, version and window; or the extractive one) →
merge, check every evidence quote against the transcript, persist → the session's concepts as
evidence of the learner's topics → a practice course, quiz and cards aimed at the gaps → assigned
→ announced. Each step is idempotent: it finds its own rows on a retry and writes nothing twice."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import date, timedelta
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client

from activities.embedders import Embedder
from activities.errors import SourceUnreadableError, SubjectGoneError
from activities.heartbeat import heartbeating
from activities.llm import prompts
from activities.llm.gateway import LlmGateway
from db.analytics.dirty import mark_dirty
from db.mastery import recompute
from db.models import (
    Assignment,
    ContentChunk,
    Course,
    CourseSource,
    MasteryEvidence,
    SessionAnalysis,
    SessionConcept,
    SessionWindowInsight,
    Source,
    StudyContent,
    Topic,
    TopicMastery,
    TutoringSession,
    User,
)
from services.assignment_targets import give
from services.learner_context import mark_stale
from services.notifications import notify
from services.sessions import fail_session
from services.source_failure import fail_source
from services.workflow_starter import WorkflowStarter
from studyflow.contracts.activity_io import FailureInput
from studyflow.contracts.llm_drafts import SessionInsightsDraft
from studyflow.contracts.session_io import (
    PersistResult,
    PracticeOutcome,
    PracticePlan,
    SessionPlan,
    SessionReadInput,
    SessionRef,
    WindowRef,
)
from studyflow.engines import EXTRACTIVE
from studyflow.local_day import today_in
from studyflow.object_store import ObjectStore
from studyflow.sessions.evidence import TranscriptIndex, validate
from studyflow.sessions.extractive import analyse_window
from studyflow.sessions.merge import merge_windows
from studyflow.sessions.speakers import SpeakerRole, infer_roles
from studyflow.sessions.transcript import (
    BrokenTranscript,
    NotATranscript,
    TranscriptFormat,
    Utterance,
    clock,
    duration_seconds,
    parse,
)
from studyflow.sessions.windows import window_text, windows_of
from studyflow.settings import Settings
from studyflow.statuses import AssignmentKind, CourseStatus, GenerationStatus, SessionStatus, SourceStatus

log = logging.getLogger("studyflow.sessions")
CHUNK_WORDS = 150
EMBED_BATCH = 64
PRACTICE = "practice"
TOO_LONG = "This transcript has {words:,} words; the most we analyse is {limit:,} (about four hours). Split it."
# How far each verdict says the learner is, where no mastery of theirs is known yet.
_VERDICT_LEVEL = {"misconception": 0.2, "partial": 0.45, "understood": 0.75}


def _utterances(analysis: SessionAnalysis) -> list[Utterance]:
    return [Utterance.from_json(u) for u in analysis.transcript or []]


def _roles(analysis: SessionAnalysis) -> dict[str, SpeakerRole]:
    return {k: SpeakerRole(v) for k, v in (analysis.roles or {}).items()}


async def _lock_session_before_analysis(session: AsyncSession, session_id: uuid.UUID) -> None:
    """The session's row before its analysis, as deleting the session takes them (its row, then the
    analyses by cascade): the other order deadlocked against a delete (stop 47's CI)."""
    await session.execute(select(TutoringSession.id).where(TutoringSession.id == session_id).with_for_update())


class SessionActivities:
    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        llm: LlmGateway,
        embedder: Embedder,
        store: ObjectStore,
        client: Client,
    ):
        self._settings = settings
        self._sessions = session_factory
        self._llm = llm
        self._embedder = embedder
        self._store = store
        self._starter = WorkflowStarter.with_client(client, session_factory)

    # --- helpers ---------------------------------------------------------------------------
    async def _load(self, ref: SessionRef) -> tuple[TutoringSession, SessionAnalysis]:
        async with self._sessions() as session:
            row = await session.get(TutoringSession, ref.session_id)
            analysis = await session.scalar(
                select(SessionAnalysis).where(
                    SessionAnalysis.session_id == ref.session_id, SessionAnalysis.version == ref.version
                )
            )
        if row is None or analysis is None:
            raise SubjectGoneError(f"session {ref.session_id} v{ref.version} no longer exists")
        return row, analysis

    async def _stage(self, ref: SessionRef, stage: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(TutoringSession)
                .where(TutoringSession.id == ref.session_id, TutoringSession.analysis_version == ref.version)
                .values(stage=stage[:80])
            )

    async def _read_upload(self, row: TutoringSession) -> list[Utterance]:
        async with self._sessions() as session:
            source = await session.get(Source, row.source_id) if row.source_id else None
        if source is None or source.object_key is None:
            raise SubjectGoneError(f"session {row.id} has no stored transcript")
        copy = self._store.local_copy(source.object_key)
        path = await asyncio.to_thread(copy.__enter__)
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig", errors="replace")
        finally:
            await asyncio.to_thread(copy.__exit__, None, None, None)
        try:
            return parse(text, TranscriptFormat(row.transcript_format))
        except (BrokenTranscript, NotATranscript) as error:
            raise SourceUnreadableError(str(error)) from None

    # --- 1. read -----------------------------------------------------------------------------
    @activity.defn
    async def read_session(self, data: SessionReadInput) -> SessionPlan:
        row, analysis = await self._load(data)
        if analysis.status != SessionStatus.processing:
            return SessionPlan(already_done=True)
        await self._stage(data, "reading the transcript")
        utterances = _utterances(analysis) if analysis.transcript else await self._read_upload(row)
        words = sum(u.words for u in utterances)
        if words > self._settings.session_max_words:
            raise SourceUnreadableError(TOO_LONG.format(words=words, limit=self._settings.session_max_words))
        async with self._sessions() as session:
            names = dict(
                (
                    await session.execute(
                        select(User.id, func.coalesce(User.display_name, User.clerk_id)).where(
                            User.id.in_([row.learner_id, row.tutor_id or row.learner_id])
                        )
                    )
                ).all()
            )
        roles, how = infer_roles(
            utterances,
            given=row.speaker_mapping or {},
            tutor_name=names.get(row.tutor_id) if row.tutor_id else None,
            learner_name=names.get(row.learner_id),
        )
        windows = windows_of(utterances, data.window_words)
        llm = data.llm_allowed and self._settings.engine(has_material=True) != EXTRACTIVE
        engine = "llm" if llm else EXTRACTIVE
        seconds = duration_seconds(utterances)
        async with self._sessions.begin() as session:
            await _lock_session_before_analysis(session, row.id)
            await session.execute(
                update(SessionAnalysis)
                .where(SessionAnalysis.id == analysis.id)
                .values(
                    transcript=[u.to_json() for u in utterances],
                    roles={k: v.value for k, v in roles.items()},
                    roles_from=how,
                    windows=len(windows),
                    engine=engine,
                    model=self._settings.openai_model if llm else EXTRACTIVE,
                )
            )
            if row.duration_minutes is None and seconds:
                await session.execute(
                    update(TutoringSession)
                    .where(TutoringSession.id == row.id)
                    .values(duration_minutes=max(1, round(seconds / 60)))
                )
        return SessionPlan(utterances=len(utterances), windows=len(windows), engine=engine)

    # --- 2. index ----------------------------------------------------------------------------
    @activity.defn
    async def index_session(self, ref: SessionRef) -> int:
        """The transcript as the learner's material: chunks of whole turns (≤ CHUNK_WORDS words),
        each `[12:30] Ms Patel (tutor): …` with a locator {start, end, first, last}; the source's
        previous chunks (an earlier version's) are replaced in one transaction."""
        row, analysis = await self._load(ref)
        if analysis.status != SessionStatus.processing or row.source_id is None:
            return 0
        await self._stage(ref, "indexing the transcript")
        utterances, roles = _utterances(analysis), _roles(analysis)
        pieces = _chunks(utterances, roles)
        async with heartbeating():
            vectors: list[list[float]] = []
            texts = [text for text, _ in pieces]
            for start in range(0, len(texts), EMBED_BATCH):
                vectors += await self._embedder.embed(texts[start : start + EMBED_BATCH])
        async with self._sessions.begin() as session:
            source = await session.scalar(select(Source).where(Source.id == row.source_id).with_for_update())
            if source is None:
                raise SubjectGoneError(f"the transcript of session {row.id} no longer exists")
            await session.execute(delete(ContentChunk).where(ContentChunk.source_id == source.id))
            await session.execute(
                insert(ContentChunk),
                [
                    {
                        "owner_id": row.learner_id,
                        "source_id": source.id,
                        "source": "source",
                        "chunk_index": position,
                        "text": text,
                        "locator": locator,
                        "embedding": vector,
                    }
                    for position, ((text, locator), vector) in enumerate(zip(pieces, vectors, strict=True))
                ],
            )
            source.status, source.error = SourceStatus.ready, None
            source.units, source.chunk_count = len(utterances), len(pieces)
        return len(pieces)

    # --- 3. one window -----------------------------------------------------------------------
    @activity.defn
    async def analyse_window(self, ref: WindowRef) -> int:
        """What this window shows, stored once per (analysis, window). The model's reply is keyed by
        session, version and window: a retry after a crash reuses the paid reply."""
        row, analysis = await self._load(ref)
        async with self._sessions() as session:
            done = await session.scalar(
                select(SessionWindowInsight.draft).where(
                    SessionWindowInsight.analysis_id == analysis.id,
                    SessionWindowInsight.window_index == ref.window_index,
                )
            )
        if done is not None:
            return len(done.get("concepts", []))
        await self._stage(ref, f"analysing part {ref.window_index + 1} of {ref.windows}")
        utterances, roles = _utterances(analysis), _roles(analysis)
        window = windows_of(utterances, ref.window_words)[ref.window_index]
        if analysis.engine == EXTRACTIVE or ref.extractive:
            draft, engine, model = analyse_window(utterances, roles, window.first, window.last), EXTRACTIVE, EXTRACTIVE
        else:
            prompt = prompts.session_insights(
                row.subject,
                window_text(utterances, roles, window),
                ref.window_index + 1,
                ref.windows,
                few_shot=self._settings.llm_few_shot,
            )
            async with heartbeating():
                result = await self._llm.generate(
                    prompt,
                    SessionInsightsDraft,
                    subject_id=str(row.id),
                    user_id=row.learner_id,
                    idempotency_key=f"session-insights:{row.id}:v{ref.version}:w{ref.window_index}",
                )
            draft, engine, model = (
                _speaker_names(result.value.model_dump(), utterances, roles, window),
                "llm",
                result.model,
            )
        async with self._sessions.begin() as session:
            await session.execute(
                insert(SessionWindowInsight)
                .values(analysis_id=analysis.id, window_index=ref.window_index, draft=draft, engine=engine, model=model)
                .on_conflict_do_nothing(index_elements=["analysis_id", "window_index"])
            )
        return len(draft.get("concepts", []))

    # --- 4. merge, validate, persist ---------------------------------------------------------
    @activity.defn
    async def persist_analysis(self, ref: SessionRef) -> PersistResult:
        """The windows merged in order (studyflow/sessions/merge.py), every quote looked up in the
        transcript (studyflow/sessions/evidence.py): a concept with no quote found is dropped.
        Concepts are matched to the learner's existing topics by name. Written once: a retry
        finds the concepts and only reports them."""
        row, analysis = await self._load(ref)
        await self._stage(ref, "checking the evidence")
        async with self._sessions() as session:
            drafts = [
                d
                for (d,) in await session.execute(
                    select(SessionWindowInsight.draft)
                    .where(SessionWindowInsight.analysis_id == analysis.id)
                    .order_by(SessionWindowInsight.window_index)
                )
            ]
            existing = await session.scalar(select(func.count()).where(SessionConcept.analysis_id == analysis.id))
            topics = (
                await session.execute(
                    select(Topic.id, Topic.title)
                    .join(Course, Course.id == Topic.course_id)
                    .where(Course.owner_id == row.learner_id, Course.status == CourseStatus.ready)
                    .where(~Course.topic.startswith(_PRACTICE_PREFIX))
                    .order_by(Course.created_at, Topic.chapter_index, Topic.topic_index)
                )
            ).all()
        if existing:
            return PersistResult(
                concepts=existing,
                quotes_valid=analysis.quotes_valid,
                quotes_dropped=analysis.quotes_dropped,
                concepts_dropped=analysis.concepts_dropped,
            )
        merged = merge_windows(drafts)
        index = TranscriptIndex(_utterances(analysis), _roles(analysis))
        checked = validate(merged.concepts, index, self._settings.session_evidence_min_similarity)
        kept, proposed, valid = checked.kept, checked.proposed, checked.valid
        match_at = self._settings.session_topic_match_similarity
        async with self._sessions.begin() as session:
            locked = await session.scalar(
                select(SessionAnalysis.status).where(SessionAnalysis.id == analysis.id).with_for_update()
            )
            if locked != SessionStatus.processing:
                return PersistResult(concepts=0, quotes_valid=0, quotes_dropped=0, concepts_dropped=0)
            for position, (concept, evidence) in enumerate(kept):
                topic_id = _matching_topic(concept.name, topics, match_at)
                await session.execute(
                    insert(SessionConcept)
                    .values(
                        analysis_id=analysis.id,
                        position=position,
                        name=concept.name[:300],
                        key=concept.key[:300] or f"concept-{position}",
                        difficulty=min(10, max(1, concept.difficulty)),
                        learner_showed=concept.learner_showed,
                        evidence=evidence,
                        topic_id=topic_id,
                        matched="existing" if topic_id else "none",
                    )
                    .on_conflict_do_nothing(index_elements=["analysis_id", "key"])
                )
            await session.execute(
                update(SessionAnalysis)
                .where(SessionAnalysis.id == analysis.id)
                .values(
                    topics=merged.topics,
                    strengths=merged.strengths,
                    areas_for_improvement=merged.areas_for_improvement,
                    action_items=merged.action_items,
                    quotes_proposed=proposed,
                    quotes_valid=valid,
                    quotes_dropped=proposed - valid,
                    concepts_proposed=len(merged.concepts),
                    concepts_dropped=len(merged.concepts) - len(kept),
                )
            )
        return PersistResult(
            concepts=len(kept),
            quotes_valid=valid,
            quotes_dropped=proposed - valid,
            concepts_dropped=len(merged.concepts) - len(kept),
        )

    # --- 5. practice course ------------------------------------------------------------------
    @activity.defn
    async def plan_practice(self, ref: SessionRef) -> PracticePlan:
        """A course for this analysis, built from the transcript: one topic per concept to practise
        (misconceptions first, then partial; the hardest understood ones when nothing needs work),
        each grounded in the chunks holding its evidence; difficulty from the learner's mastery.
        Its quiz and flashcards are made by StudyContentWorkflow (retrieval, model, quality gate)."""
        row, analysis = await self._load(ref)
        if analysis.practice_course_id is not None:
            return await self._practice_of(analysis.practice_course_id)
        await self._stage(ref, "making practice")
        async with self._sessions.begin() as session:
            if practice_course_id := await session.scalar(
                select(SessionAnalysis.practice_course_id).where(SessionAnalysis.id == analysis.id).with_for_update()
            ):
                return await self._practice_of(practice_course_id)
            concepts = (
                await session.scalars(
                    select(SessionConcept)
                    .where(SessionConcept.analysis_id == analysis.id)
                    .order_by(SessionConcept.position)
                )
            ).all()
            chosen = _practice_concepts(list(concepts), self._settings.session_practice_topics)
            if not chosen:
                await session.execute(
                    update(SessionAnalysis).where(SessionAnalysis.id == analysis.id).values(practice_status="none")
                )
                return PracticePlan()
            mastery = dict(
                (
                    await session.execute(
                        select(TopicMastery.topic_id, TopicMastery.mastery).where(
                            TopicMastery.user_id == row.learner_id,
                            TopicMastery.topic_id.in_([c.topic_id for c in chosen if c.topic_id]),
                        )
                    )
                ).all()
            )
            levels = [
                _VERDICT_LEVEL[c.learner_showed]
                if c.topic_id is None
                else mastery.get(c.topic_id, _VERDICT_LEVEL[c.learner_showed])
                for c in chosen
            ]
            level = sum(levels) / len(levels)
            difficulty = "beginner" if level < 0.4 else "intermediate" if level < 0.7 else "advanced"
            chunks = (
                await session.execute(
                    select(ContentChunk.id, ContentChunk.locator).where(ContentChunk.source_id == row.source_id)
                )
            ).all()
            title = f"{PRACTICE_TITLE.format(subject=row.subject, day=row.session_date)}"
            outline: dict[str, Any] = {
                "title": title,
                "chapters": [
                    {
                        "title": f"What to practise after the session of {row.session_date:%d %B}",
                        "topics": [
                            {
                                "title": c.name[:300],
                                "summary": _summary_of(c),
                                "chunk_ids": _chunks_holding(c.evidence, chunks),
                            }
                            for c in chosen
                        ],
                    }
                ],
            }
            course_id = uuid.uuid4()
            session.add(
                Course(
                    id=course_id,
                    owner_id=row.learner_id,
                    topic=f"{_PRACTICE_PREFIX}{row.subject}"[:200],
                    course_type="practical",
                    difficulty=difficulty,
                    preferences={},
                    outline=outline,
                    status=CourseStatus.ready,
                    outline_source=PRACTICE,
                    outline_model=analysis.model,
                    topics_total=len(chosen),
                )
            )
            await session.flush()
            if row.source_id:
                session.add(CourseSource(course_id=course_id, source_id=row.source_id, position=0))
            for position, concept in enumerate(chosen):
                topic = Topic(
                    id=uuid.uuid4(),
                    course_id=course_id,
                    chapter_index=0,
                    chapter_title=outline["chapters"][0]["title"],
                    topic_index=position,
                    title=concept.name[:300],
                    summary=_summary_of(concept),
                )
                session.add(topic)
                await session.flush()
                if concept.topic_id is None:  # a new concept: this topic is its record
                    concept.topic_id, concept.matched = topic.id, PRACTICE
            quiz_id, cards_id = uuid.uuid4(), uuid.uuid4()
            for content_id, kind in ((quiz_id, "quiz"), (cards_id, "flashcards")):
                session.add(
                    StudyContent(id=content_id, course_id=course_id, type=kind, status=GenerationStatus.generating)
                )
            await session.execute(
                update(SessionAnalysis)
                .where(SessionAnalysis.id == analysis.id)
                .values(practice_course_id=course_id, practice_status="making")
            )
        return PracticePlan(quiz_id=quiz_id, flashcards_id=cards_id)

    async def _practice_of(self, course_id: uuid.UUID) -> PracticePlan:
        async with self._sessions() as session:
            found = dict(
                (
                    await session.execute(
                        select(StudyContent.type, StudyContent.id).where(StudyContent.course_id == course_id)
                    )
                ).all()
            )
        return PracticePlan(quiz_id=found.get("quiz"), flashcards_id=found.get("flashcards"))

    # --- 6. mastery evidence ----------------------------------------------------------------
    @activity.defn
    async def apply_mastery(self, ref: SessionRef) -> int:
        """This session's concepts become evidence of their topics (replacing what an earlier
        version of its analysis contributed), and those topics' mastery is computed again."""
        row, analysis = await self._load(ref)
        await self._stage(ref, "updating mastery")
        weight = self._settings.session_evidence_weight
        async with self._sessions.begin() as session:
            applied = await session.scalar(
                select(SessionAnalysis.mastery_applied).where(SessionAnalysis.id == analysis.id).with_for_update()
            )
            if applied:
                return 0
            before = set(
                await session.scalars(select(MasteryEvidence.topic_id).where(MasteryEvidence.session_id == row.id))
            )
            await session.execute(delete(MasteryEvidence).where(MasteryEvidence.session_id == row.id))
            concepts = (
                await session.execute(
                    select(SessionConcept.id, SessionConcept.topic_id, SessionConcept.learner_showed).where(
                        SessionConcept.analysis_id == analysis.id, SessionConcept.topic_id.is_not(None)
                    )
                )
            ).all()
            now = func.now()
            for concept in concepts:
                await session.execute(
                    insert(MasteryEvidence).values(
                        user_id=row.learner_id,
                        topic_id=concept.topic_id,
                        session_id=row.id,
                        concept_id=concept.id,
                        observation=concept.learner_showed,
                        weight=weight,
                        observed_at=now,
                    )
                )
            await recompute(session, row.learner_id, before | {c.topic_id for c in concepts})
            await session.execute(
                update(SessionAnalysis).where(SessionAnalysis.id == analysis.id).values(mastery_applied=True)
            )
        return len(concepts)

    # --- 7. assign ---------------------------------------------------------------------------
    @activity.defn
    async def assign_practice(self, data: PracticeOutcome) -> str:
        """The practice that passed the gate, assigned to the learner (by their tutor, within the
        organisation) with a due date; a learner on their own is told it is ready."""
        row, analysis = await self._load(data)
        if analysis.practice_course_id is None or analysis.practice_status in ("assigned", "failed"):
            return analysis.practice_status or "none"
        await self._stage(data, "assigning practice")
        course_id = analysis.practice_course_id
        due = date.today() + timedelta(days=self._settings.session_practice_due_days)
        async with self._sessions.begin() as session:
            locked = await session.scalar(
                select(SessionAnalysis.practice_status).where(SessionAnalysis.id == analysis.id).with_for_update()
            )
            if locked != "making":
                return locked or "none"
            ready = dict(
                (
                    await session.execute(
                        select(StudyContent.type, StudyContent.id).where(
                            StudyContent.course_id == course_id, StudyContent.status == GenerationStatus.completed
                        )
                    )
                ).all()
            )
            if not ready:
                await session.execute(
                    update(SessionAnalysis)
                    .where(SessionAnalysis.id == analysis.id)
                    .values(practice_status="failed", practice_error=data.error or "no practice passed the checks")
                )
                return "failed"
            note = f"From your {row.subject} session on {row.session_date:%d %B}."
            if row.organization_id is not None and row.tutor_id is not None:
                for kind, assignment_kind, label in (
                    ("quiz", AssignmentKind.practice_set, "Practice"),
                    ("flashcards", AssignmentKind.flashcards, "Flashcards"),
                ):
                    if kind not in ready:
                        continue
                    assignment = Assignment(
                        id=uuid.uuid5(analysis.id, kind),
                        organization_id=row.organization_id,
                        created_by=row.tutor_id,
                        kind=assignment_kind,
                        course_id=course_id,
                        study_content_id=ready[kind],
                        learner_id=row.learner_id,
                        title=f"{label}: {row.subject} session, {row.session_date:%d %B}"[:300],
                        due_date=due,
                        note=note,
                    )
                    session.add(assignment)
                    await session.flush()
                    await give(session, assignment, [row.learner_id])
            else:
                await notify(
                    session,
                    row.learner_id,
                    "session_practice",
                    f"Practice from your {row.subject} session on {row.session_date:%d %B} is ready.",
                    key=f"session-practice:{row.id}:v{data.version}",
                    link=f"/courses/{course_id}",
                )
            await session.execute(
                update(SessionAnalysis).where(SessionAnalysis.id == analysis.id).values(practice_status="assigned")
            )
        return "assigned"

    # --- 8. done -----------------------------------------------------------------------------
    @activity.defn
    async def finish_session(self, ref: SessionRef) -> bool:
        row, analysis = await self._load(ref)
        async with self._sessions.begin() as session:
            await _lock_session_before_analysis(session, row.id)
            done = await session.scalar(
                update(SessionAnalysis)
                .where(SessionAnalysis.id == analysis.id, SessionAnalysis.status == SessionStatus.processing)
                .values(status=SessionStatus.ready, completed_at=func.now(), error=None)
                .returning(SessionAnalysis.id)
            )
            if done is None:
                return False
            await session.execute(
                update(TutoringSession)
                .where(TutoringSession.id == row.id, TutoringSession.analysis_version == ref.version)
                .values(status=SessionStatus.ready, stage="ready", error=None)
            )
            # Analysed after the day it took place (always, for an upload): that day rolls again.
            await mark_dirty(session, row.learner_id, row.session_date, today_in(self._settings.day_timezone))
            counts = dict(
                (
                    await session.execute(
                        select(SessionConcept.learner_showed, func.count())
                        .where(SessionConcept.analysis_id == analysis.id)
                        .group_by(SessionConcept.learner_showed)
                    )
                ).all()
            )
            learner = await session.scalar(
                select(func.coalesce(User.display_name, User.clerk_id)).where(User.id == row.learner_id)
            )
            message = (
                f"Analysis ready: {row.subject} with {learner} on {row.session_date:%d %B} — "
                f"{sum(counts.values())} concepts, {counts.get('misconception', 0)} misconceptions, "
                f"{counts.get('partial', 0)} partly understood."
            )
            for person in {p for p in (row.tutor_id, row.created_by) if p is not None}:
                await notify(
                    session,
                    person,
                    "session_analysed",
                    message,
                    key=f"session-analysed:{row.id}:v{ref.version}:{person}",
                    link=f"/sessions/{row.id}",
                )
            starts = await mark_stale(session, self._settings, row.learner_id)
        if starts:
            await self._starter.start(starts)
        return True

    @activity.defn
    async def mark_session_failed(self, data: FailureInput) -> None:
        async with self._sessions.begin() as session:
            await fail_session(session, data.subject_id, None, data.error)
            source_id = await session.scalar(
                select(TutoringSession.source_id).where(TutoringSession.id == data.subject_id)
            )
        if source_id is not None:  # a transcript never read leaves nothing behind
            await fail_source(self._sessions, self._store, source_id, data.error)


_PRACTICE_PREFIX = "Practice from a session: "
PRACTICE_TITLE = "Practice: {subject}, session of {day:%d %B %Y}"


def _speaker_names(draft: dict, utterances: list[Utterance], roles: dict[str, SpeakerRole], window) -> dict:
    """The model names speakers by letter (T, L); evidence keeps the speaker's name."""
    by_letter = {"t": SpeakerRole.tutor, "l": SpeakerRole.learner, "o": SpeakerRole.other}
    names = {role: name for name, role in roles.items()}
    for concept in draft.get("concepts", []):
        for quote in concept.get("evidence", []):
            role = by_letter.get((quote.get("speaker") or "").strip().casefold()[:1])
            if role is not None and len((quote.get("speaker") or "").strip()) <= 8:
                quote["speaker"] = names.get(role, quote["speaker"])
    return draft


def _chunks(utterances: list[Utterance], roles: dict[str, SpeakerRole]) -> list[tuple[str, dict]]:
    pieces: list[tuple[str, dict]] = []
    lines: list[str] = []
    group: list[Utterance] = []
    words = 0

    def close() -> None:
        if not group:
            return
        starts = [u.start for u in group if u.start is not None]
        ends = [u.end if u.end is not None else u.start for u in group if u.start is not None]
        locator: dict[str, int | str | None] = {"first": group[0].index, "last": group[-1].index}
        if starts:
            locator.update(start=clock(min(starts)), end=clock(max(ends)))
        else:
            locator["line"] = group[0].index + 1
        pieces.append(("\n".join(lines), locator))

    for u in utterances:
        role = roles.get(u.speaker, SpeakerRole.other).value
        stamp = clock(u.start)
        line = f"{'[' + stamp + '] ' if stamp else ''}{u.speaker} ({role}): {u.text}"
        if group and words + u.words > CHUNK_WORDS:
            close()
            lines, group, words = [], [], 0
        lines.append(line)
        group.append(u)
        words += u.words
    close()
    return pieces


def _matching_topic(name: str, topics, threshold: float) -> uuid.UUID | None:
    best, best_score = None, threshold
    for topic_id, title in topics:
        score = fuzz.token_set_ratio(name.casefold(), title.casefold())
        if score >= best_score:
            best, best_score = topic_id, score
    return best


def _practice_concepts(concepts: list[SessionConcept], limit: int) -> list[SessionConcept]:
    order = {"misconception": 0, "partial": 1}
    gaps = sorted(
        (c for c in concepts if c.learner_showed in order), key=lambda c: (order[c.learner_showed], c.position)
    )
    if gaps:
        return gaps[:limit]
    return sorted(concepts, key=lambda c: (-c.difficulty, c.position))[: min(3, limit)]


def _summary_of(concept: SessionConcept) -> str:
    said = {"misconception": "still misunderstood at the end", "partial": "wobbly at first, then better"}.get(
        concept.learner_showed, "understood"
    )
    quote = next((e for e in concept.evidence if e["role"] == "learner"), concept.evidence[0])
    where = f" at {quote['time']}" if quote.get("time") else ""
    return f"In the session: {said}. {quote['speaker']}{where}: “{quote['quote']}”"[:2000]


def _chunks_holding(evidence: list[dict], chunks) -> list[str]:
    wanted = {e["utterance_index"] for e in evidence}
    return [
        str(chunk_id)
        for chunk_id, locator in chunks
        if locator and any(locator.get("first", -1) <= i <= locator.get("last", -1) for i in wanted)
    ]
