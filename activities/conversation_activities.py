"""Activities of ConversationWorkflow: answer a question from the learner's own material, and
judge after each answer whether the learner would be better served by a human tutor.

An answer is retrieval → (nothing relevant: "not in your material", no LLM call) → LLM with the
numbered excerpts, streamed → citations kept only for excerpts that were shown → the question
and the answer persisted together under the Update's request id. A retried activity finds them
(or, after a crash mid-call, the ledger's persisted reply) and pays for nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.answer_stream import AnswerStream
from activities.embedders import Embedder
from activities.errors import SubjectGoneError
from activities.heartbeat import heartbeating
from activities.llm import prompts
from activities.llm.gateway import LlmGateway
from activities.llm.partial_json import partial_string_field
from activities.retrieval import RetrievedChunk, Retriever
from db.models import (
    ContentChunk,
    Conversation,
    ConversationMessage,
    Course,
    QuizAttempt,
    Source,
    Topic,
    TopicMastery,
    TutorHandoff,
)
from studyflow.citations import citation_label
from studyflow.content_rules.output_checks import answer_problems
from studyflow.contracts.conversation_io import (
    AnswerRequest,
    AssessInput,
    CitedExcerpt,
    ConversationRef,
    TutorAnswer,
    TutorJudgement,
    TutorReply,
)
from studyflow.contracts.llm_drafts import TutorAnswerDraft
from studyflow.engines import EXTRACTIVE
from studyflow.extractive import answers as extractive_answers
from studyflow.extractive.centrality import most_similar
from studyflow.extractive.sentences import sentences_of
from studyflow.settings import Settings
from studyflow.statuses import ConversationStatus

NOT_IN_MATERIAL = (
    "That is not in your material: nothing in your sources or courses covers it closely enough to "
    "answer from. Add a source that does, or ask about something your material covers."
)
LOW_CONFIDENCE = 0.4
REPEATS_BEFORE_TUTOR = 3
STRUGGLING_MASTERY = 0.6
TOPIC_MATCH = 0.5
_EXCERPT_CHARS = 300
# An extractive answer quotes from the best passages retrieval found, at most this many.
QUOTED_PASSAGES = 3
TITLE_CACHE_SIZE = 20_000


class ConversationActivities:
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
        # Topic titles recur question after question; their vectors are computed once per worker.
        self._title_vectors: dict[str, list[float]] = {}

    async def _conversation(self, session: AsyncSession, conversation_id: uuid.UUID) -> Conversation:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise SubjectGoneError(f"conversation {conversation_id} no longer exists")
        return conversation

    @activity.defn
    async def answer_question(self, request: AnswerRequest) -> TutorAnswer:
        # Heartbeat the whole answer: a fresh worker's first embedding loads the model (seconds).
        async with heartbeating():
            answer, _ = await self._answer(request, judge=False)
        return answer

    @activity.defn
    async def answer_and_judge(self, request: AnswerRequest) -> TutorReply:
        """The answer and the tutor-routing judgement in one activity, the judgement in the
        transaction that persists the answer: one step of the workflow instead of two."""
        async with heartbeating():
            answer, judgement = await self._answer(request, judge=True)
        assert judgement is not None
        return TutorReply(
            **answer.model_dump(),
            suggest_tutor=judgement.suggest_tutor,
            tutor_reason=judgement.reason,
            handoff_id=judgement.handoff_id,
        )

    async def _answer(self, request: AnswerRequest, *, judge: bool) -> tuple[TutorAnswer, TutorJudgement | None]:
        async with self._sessions() as session:
            conversation = await self._conversation(session, request.conversation_id)
            # One statement for the last four messages (the prompt's context) and this request's
            # answer, if a previous attempt persisted it.
            latest = (
                select(func.max(ConversationMessage.position))
                .where(ConversationMessage.conversation_id == conversation.id)
                .scalar_subquery()
            )
            rows = list(
                await session.scalars(
                    select(ConversationMessage)
                    .where(
                        ConversationMessage.conversation_id == conversation.id,
                        or_(
                            ConversationMessage.request_id == request.request_id,
                            ConversationMessage.position > latest - 4,
                        ),
                    )
                    .order_by(ConversationMessage.position.desc())
                )
            )
        answered = next((m for m in rows if m.role == "tutor" and m.request_id == request.request_id), None)
        if answered is not None:
            if not judge:
                return _answer_of(answered), None
            async with self._sessions.begin() as session:
                return _answer_of(answered), await self._judge(session, conversation, request.request_id)
        recent = [(m.role, m.text) for m in reversed(rows[:4])]
        owner_id, course_id = conversation.owner_id, conversation.course_id
        [vector] = await self._embedder.embed([request.question])
        # The topic the question is about only matters once the answer is persisted: look it up
        # while retrieval and the model run, not after them.
        topic = asyncio.create_task(self._nearest_topic(owner_id, course_id, vector))
        try:
            chunks = await self._retriever.search_material(
                owner_id=owner_id,
                course_id=course_id,
                query_text=request.question,
                query_vector=vector,
                k=self._settings.retrieval_top_k,
                threshold=self._settings.tutor_min_similarity,
            )
            if not chunks:
                answer = TutorAnswer(
                    request_id=request.request_id, text=NOT_IN_MATERIAL, confidence=0.0, answerable=False
                )
            elif self._settings.engine(has_material=True) == EXTRACTIVE:
                stream = AnswerStream(self._sessions, owner_id, request.conversation_id, request.request_id)
                answer = await self._quote_material(request, chunks, vector, extractive_answers.BUNDLED_MODEL)
                await stream.flush(answer.text)
            else:
                answer = await self._ask_model(request, owner_id, chunks, recent, vector)
        except BaseException:
            topic.cancel()
            raise
        judgement = await self._persist(request, answer, await topic, conversation if judge else None)
        return answer, judgement

    async def _ask_model(
        self,
        request: AnswerRequest,
        owner_id: uuid.UUID,
        chunks: list[RetrievedChunk],
        recent: list[tuple[str, str]],
        vector: list[float],
    ) -> TutorAnswer:
        labels = await self._labels(chunks)
        excerpts = [f"{labels[c.chunk_id]}: {c.text}" for c in chunks]
        stream = AnswerStream(self._sessions, owner_id, request.conversation_id, request.request_id)

        async def on_text(reply_so_far: str) -> None:
            await stream(partial_string_field(reply_so_far, "answer"))

        prompt = prompts.tutor_answer(request.question, excerpts, recent, few_shot=self._settings.llm_few_shot)
        result = await self._llm.generate(
            prompt,
            TutorAnswerDraft,
            subject_id=str(request.conversation_id),
            user_id=owner_id,
            idempotency_key=f"tutor-answer:{request.conversation_id}:{request.request_id}",
            on_text=on_text,
        )
        draft = result.value
        shown = {number: chunk for number, chunk in enumerate(chunks, start=1)}
        cited = [shown[n] for n in dict.fromkeys(draft.citations) if n in shown]
        reference = prompts.reference_for(prompt, [request.question, *excerpts, *(text for _, text in recent)])
        if not draft.answerable or not draft.answer.strip() or answer_problems(draft.answer, reference):
            # Retrieval found passages relevant to the question: the model declining (or writing
            # something unusable) is the model's failure, not the material's. The learner gets the
            # passages themselves, and is told that this is what happened.
            answer = await self._quote_material(request, chunks, vector, extractive_answers.MODEL_DECLINED)
            await stream.flush(answer.text)
            return answer
        await stream.flush(draft.answer)
        numbers = {chunk.chunk_id: n for n, chunk in shown.items()}
        return TutorAnswer(
            request_id=request.request_id,
            text=draft.answer.strip(),
            citations=[
                CitedExcerpt(
                    number=numbers[c.chunk_id],
                    chunk_id=c.chunk_id,
                    source_id=c.source_id,
                    course_id=c.course_id,
                    label=labels[c.chunk_id],
                    excerpt=c.text[:_EXCERPT_CHARS],
                )
                for c in cited
            ],
            # An answer that cites nothing it was shown is not one to trust much.
            confidence=draft.confidence if cited else min(draft.confidence, 0.3),
            answerable=True,
            model=result.model,
        )

    async def _quote_material(
        self, request: AnswerRequest, chunks: list[RetrievedChunk], vector: list[float], lead: str
    ) -> TutorAnswer:
        """The answer as the material's own sentences: those most similar to the question, from
        the best passages retrieval found, quoted with where they come from."""
        labels = await self._labels(chunks)
        shown = chunks[:QUOTED_PASSAGES]
        sentences = sentences_of([(c.text, [(c.locator or {}).get("heading") or ""]) for c in shown])
        if sentences:
            similarity = most_similar(vector, await self._embedder.embed([s.text for s in sentences]))
            chosen = extractive_answers.choose(request.question, sentences, similarity)
            quoted = [(c.sentence.text, labels[shown[c.sentence.passage].chunk_id]) for c in chosen]
            by_id = {c.chunk_id: c for c in shown}
            cited = [by_id[i] for i in dict.fromkeys(shown[c.sentence.passage].chunk_id for c in chosen)]
            confidence = max(0.0, min(0.9, max(c.score for c in chosen)))
        else:  # passages with no whole sentence (a table, a list): the best one as it is
            quoted = [(" ".join(shown[0].text.split())[:_EXCERPT_CHARS], labels[shown[0].chunk_id])]
            cited, confidence = [shown[0]], shown[0].similarity
        numbers = {chunk.chunk_id: n for n, chunk in enumerate(chunks, start=1)}
        return TutorAnswer(
            request_id=request.request_id,
            text=extractive_answers.compose(lead, quoted),
            citations=[
                CitedExcerpt(
                    number=numbers[c.chunk_id],
                    chunk_id=c.chunk_id,
                    source_id=c.source_id,
                    course_id=c.course_id,
                    label=labels[c.chunk_id],
                    excerpt=c.text[:_EXCERPT_CHARS],
                )
                for c in cited
            ],
            confidence=confidence,
            answerable=True,
            model=EXTRACTIVE,
        )

    async def _labels(self, chunks: list[RetrievedChunk]) -> dict[uuid.UUID, str]:
        """ "lecture-3.pdf, p. 12" for a source; "course: topic" for course material."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(ContentChunk.id, ContentChunk.source, Source.name, Course.topic, Topic.title)
                    .outerjoin(Source, Source.id == ContentChunk.source_id)
                    .outerjoin(Course, Course.id == ContentChunk.course_id)
                    .outerjoin(Topic, Topic.id == ContentChunk.topic_id)
                    .where(ContentChunk.id.in_([c.chunk_id for c in chunks]))
                )
            ).all()
        names = {row.id: row for row in rows}
        labels = {}
        for chunk in chunks:
            row = names[chunk.chunk_id]
            if row.name is not None:
                labels[chunk.chunk_id] = citation_label(row.name, chunk.locator)
            else:
                labels[chunk.chunk_id] = f"{row.topic}: {row.title or row.source}"
        return labels

    async def _nearest_topic(
        self, owner_id: uuid.UUID, course_id: uuid.UUID | None, vector: list[float]
    ) -> uuid.UUID | None:
        """The learner's topic the question is about, if one is close: repeated questions on a
        topic the learner keeps failing are what routes them to a tutor."""
        scope = Topic.course_id == course_id if course_id else Course.owner_id == owner_id
        async with self._sessions() as session:
            topics = (
                await session.execute(
                    select(Topic.id, Topic.title)
                    .join(Course, Course.id == Topic.course_id)
                    .where(scope, Course.owner_id == owner_id)
                    .order_by(Course.created_at.desc(), Topic.chapter_index, Topic.topic_index)
                    .limit(60)
                )
            ).all()
        if not topics:
            return None
        vectors = await self._title_vectors_of([t.title for t in topics])
        scores = [sum(a * b for a, b in zip(vector, v, strict=False)) for v in vectors]
        best = max(range(len(topics)), key=scores.__getitem__)
        return topics[best].id if scores[best] >= TOPIC_MATCH else None

    async def _title_vectors_of(self, titles: list[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in titles if t not in self._title_vectors))
        if missing:
            if len(self._title_vectors) + len(missing) > TITLE_CACHE_SIZE:
                self._title_vectors.clear()
                missing = list(dict.fromkeys(titles))
            self._title_vectors.update(zip(missing, await self._embedder.embed(missing), strict=True))
        return [self._title_vectors[t] for t in titles]

    async def _persist(
        self,
        request: AnswerRequest,
        answer: TutorAnswer,
        topic_id: uuid.UUID | None,
        judged: Conversation | None,
    ) -> TutorJudgement | None:
        """With `judged`, the tutor-routing judgement runs in the same transaction."""
        async with self._sessions.begin() as session:
            await session.execute(
                select(Conversation.id).where(Conversation.id == request.conversation_id).with_for_update()
            )
            position = (
                await session.execute(
                    select(func.coalesce(func.max(ConversationMessage.position), 0)).where(
                        ConversationMessage.conversation_id == request.conversation_id
                    )
                )
            ).scalar_one()
            common = {"conversation_id": request.conversation_id, "request_id": request.request_id}
            question = {
                **common,
                "role": "learner",
                "text": request.question.strip(),
                "citations": [],
                "confidence": None,
                "answerable": None,
                "model": None,
                "topic_id": topic_id,
                "position": position + 1,
            }
            reply = {
                **common,
                "role": "tutor",
                "text": answer.text,
                "citations": [c.model_dump(mode="json") for c in answer.citations],
                "confidence": answer.confidence,
                "answerable": answer.answerable,
                "model": answer.model,
                "topic_id": None,
                "position": position + 2,
            }
            await session.execute(
                insert(ConversationMessage)
                .values([question, reply])
                .on_conflict_do_nothing(index_elements=["conversation_id", "request_id", "role"])
            )
            return await self._judge(session, judged, request.request_id) if judged is not None else None

    @activity.defn
    async def assess_tutor_need(self, data: AssessInput) -> TutorJudgement:
        async with self._sessions.begin() as session:
            conversation = await self._conversation(session, data.conversation_id)
            return await self._judge(session, conversation, data.request_id)

    async def _judge(self, session: AsyncSession, conversation: Conversation, request_id: str) -> TutorJudgement:
        of_conversation = ConversationMessage.conversation_id == conversation.id
        pair = {
            m.role: m
            for m in await session.scalars(
                select(ConversationMessage).where(of_conversation, ConversationMessage.request_id == request_id)
            )
        }
        reply, question = pair.get("tutor"), pair.get("learner")
        if reply is None or question is None:
            raise SubjectGoneError(f"no answer to {request_id} in conversation {conversation.id}")
        if reply.suggest_tutor:
            return TutorJudgement(suggest_tutor=True, reason=reply.tutor_reason, handoff_id=reply.handoff_id)
        # Only what the rules read (the reply before this one, the questions on this topic):
        # the whole conversation is loaded only to write a hand-off summary.
        reasons = []
        if (reply.confidence or 0) < LOW_CONFIDENCE:
            earlier = (
                await session.execute(
                    select(ConversationMessage.confidence)
                    .where(
                        of_conversation,
                        ConversationMessage.role == "tutor",
                        ConversationMessage.position < reply.position,
                    )
                    .order_by(ConversationMessage.position.desc())
                    .limit(1)
                )
            ).first()
            if earlier is not None and (earlier.confidence or 0) < LOW_CONFIDENCE:
                reasons.append("two answers in a row were uncertain: your material may not cover what you need")
        if question.topic_id is not None:
            reason = await self._struggling(session, conversation, question.topic_id)
            if reason:
                reasons.append(reason)
        if not reasons:
            return TutorJudgement()
        reason = "; ".join(reasons)
        messages = list(
            await session.scalars(
                select(ConversationMessage).where(of_conversation).order_by(ConversationMessage.position)
            )
        )
        summary = await self._handoff_summary(session, conversation, messages, reason)
        handoff_id = await session.scalar(
            insert(TutorHandoff)
            .values(conversation_id=conversation.id, owner_id=conversation.owner_id, reason=reason, summary=summary)
            .on_conflict_do_update(
                index_elements=["conversation_id"],
                set_={"reason": reason, "summary": summary, "updated_at": func.now()},
            )
            .returning(TutorHandoff.id)
        )
        reply.suggest_tutor, reply.tutor_reason, reply.handoff_id = True, reason, handoff_id
        return TutorJudgement(suggest_tutor=True, reason=reason, handoff_id=handoff_id)

    async def _struggling(self, session: AsyncSession, conversation: Conversation, topic_id: uuid.UUID) -> str | None:
        asked = (
            await session.execute(
                select(func.count()).where(
                    ConversationMessage.conversation_id == conversation.id,
                    ConversationMessage.role == "learner",
                    ConversationMessage.topic_id == topic_id,
                )
            )
        ).scalar_one()
        if asked < REPEATS_BEFORE_TUTOR:
            return None
        owner_id = conversation.owner_id
        title = await session.scalar(select(Topic.title).where(Topic.id == topic_id))
        mastery = await session.scalar(
            select(TopicMastery.mastery).where(TopicMastery.user_id == owner_id, TopicMastery.topic_id == topic_id)
        )
        failed = (
            await session.execute(
                select(func.count()).where(
                    QuizAttempt.user_id == owner_id, QuizAttempt.weak_topics.contains([str(topic_id)])
                )
            )
        ).scalar_one()
        if (mastery is not None and mastery < STRUGGLING_MASTERY) or failed >= 2:
            shown = f"{mastery:.0%}" if mastery is not None else "unknown"
            return (
                f"you have asked about '{title}' {asked} times, missed it in {failed} quiz attempt(s) "
                f"and your mastery of it is {shown}"
            )
        return None

    async def _handoff_summary(
        self, session: AsyncSession, conversation: Conversation, messages: list[ConversationMessage], reason: str
    ) -> dict:
        owner_id = conversation.owner_id
        weak = (
            await session.execute(
                select(Topic.id, Topic.title, Course.topic.label("course"), TopicMastery.mastery, TopicMastery.answers)
                .join(Topic, Topic.id == TopicMastery.topic_id)
                .join(Course, Course.id == Topic.course_id)
                .where(TopicMastery.user_id == owner_id)
                .order_by(TopicMastery.mastery)
                .limit(5)
            )
        ).all()
        attempts = (
            await session.execute(
                select(QuizAttempt.percentage, QuizAttempt.created_at, Course.topic)
                .join(Course, Course.id == QuizAttempt.course_id)
                .where(QuizAttempt.user_id == owner_id)
                .order_by(QuizAttempt.created_at.desc())
                .limit(5)
            )
        ).all()
        totals = (
            await session.execute(
                select(func.count(), func.avg(QuizAttempt.percentage)).where(QuizAttempt.user_id == owner_id)
            )
        ).one()
        return {
            "reason": reason,
            "recent_questions": [m.text for m in messages if m.role == "learner"][-5:],
            "weak_topics": [
                {
                    "topic_id": str(w.id),
                    "title": w.title,
                    "course": w.course,
                    "mastery": round(w.mastery, 3),
                    "answers": w.answers,
                }
                for w in weak
            ],
            "practice": {
                "attempts": totals[0],
                "average_percentage": round(float(totals[1]), 1) if totals[1] is not None else None,
                "recent": [
                    {"course": a.topic, "percentage": float(a.percentage), "at": a.created_at.isoformat()}
                    for a in attempts
                ],
            },
            "prepared_at": datetime.now(UTC).isoformat(),
        }

    @activity.defn
    async def mark_conversation_idle(self, ref: ConversationRef) -> None:
        async with self._sessions.begin() as session:
            conversation = await session.get(Conversation, ref.conversation_id)
            if conversation is not None:
                conversation.status = ConversationStatus.idle


def _answer_of(row: ConversationMessage) -> TutorAnswer:
    return TutorAnswer(
        request_id=row.request_id,
        text=row.text,
        citations=[CitedExcerpt.model_validate(c) for c in row.citations or []],
        confidence=row.confidence or 0.0,
        answerable=bool(row.answerable),
        model=row.model,
    )
