"""Tutoring sessions: admitting a transcript for analysis, correcting it (a new analysis version),
listing and reading what a person may see, and deleting one with everything it contributed.

A session is the learner's data (services/policy.py, `LearnerData.session`): the learner, their
linked tutor and their organisation's admins read it; the learner and the linked tutor submit,
correct and delete it (`Action.submit`). The transcript is stored as the learner's source of kind
`transcript` — its chunks are their material, so the tutor chat cites "minute 12:30" — and the
analysis runs as SessionAnalysisWorkflow, recorded with the rows (services/admission.py)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from db.analytics.dirty import mark_dirty
from db.mastery import recompute
from db.models import (
    MasteryEvidence,
    SessionAnalysis,
    SessionConcept,
    Source,
    TutoringSession,
    TutorLink,
    User,
    WorkflowStart,
)
from db.source_usage import source_usage
from services import llm_allowance
from services.actor import Actor, actor_of
from services.admission import Admission
from services.errors import ServiceError
from services.learner_context import mark_stale
from services.llm_allowance import Allowance, LlmWork
from services.outbox import StartRequest
from services.policy import Action, LearnerData, Relation, authorize
from services.sources import _check_quota
from studyflow import search_attributes, start_inputs, workflow_ids, workflow_types
from studyflow.contracts.workflow_inputs import SessionAnalysisInput
from studyflow.local_day import today_in
from studyflow.object_store import ObjectStore, object_key
from studyflow.sessions.speakers import SpeakerRole
from studyflow.source_kinds import SourceKind
from studyflow.statuses import SessionStatus, SourceStatus, SubjectKind

log = logging.getLogger("studyflow.sessions")


@dataclass(frozen=True)
class NewSession:
    learner_id: uuid.UUID
    subject: str
    session_date: date
    duration_minutes: int | None
    transcript_format: str  # studyflow.sessions.transcript.TranscriptFormat
    name: str
    content_hash: str
    size: int
    file: Path
    speaker_mapping: dict[str, str]


def _what(session_id: uuid.UUID) -> str:
    return f"session {session_id}"


async def admit_session(admission: Admission, store: ObjectStore, new: NewSession) -> TutoringSession:
    session, actor, settings = admission.session, admission.actor, admission.settings
    relation = await authorize(session, actor, new.learner_id, LearnerData.session, Action.submit, "this learner")
    tutor_id = actor.id if relation == Relation.tutor else await _linked_tutor(session, actor, new.learner_id)
    # The learner's allowance (their plan, their budget): the analysis is spent on them.
    learner = await actor_of(session, new.learner_id)
    allowance = await llm_allowance.allow(session, settings, learner, LlmWork.session, now=admission._now)
    key = object_key(new.learner_id, new.content_hash)
    await asyncio.to_thread(store.put, key, new.file)
    try:
        return await _insert(admission, new, key, tutor_id, learner, allowance)
    except BaseException:
        await session.rollback()
        kept = await session.scalar(
            select(Source.id).where(Source.owner_id == new.learner_id, Source.content_hash == new.content_hash)
        )
        if kept is None:
            await asyncio.to_thread(store.delete, key)
        raise


async def _insert(
    admission: Admission, new: NewSession, key: str, tutor_id, learner: Actor, allowance: Allowance
) -> TutoringSession:
    session, actor, settings = admission.session, admission.actor, admission.settings
    await session.execute(select(User.id).where(User.id == new.learner_id).with_for_update())
    existing = await session.scalar(
        select(Source).where(Source.owner_id == new.learner_id, Source.content_hash == new.content_hash)
    )
    if existing is not None:
        same = await session.scalar(select(TutoringSession).where(TutoringSession.source_id == existing.id))
        if same is not None:
            raise ServiceError(409, f"this transcript was uploaded already: session {same.id}")
        raise ServiceError(
            409, "this transcript is already one of the learner's sources; delete that source to upload it as a session"
        )
    _check_quota(settings, learner.plan, new.size, *await source_usage(session, new.learner_id))
    session_id, source_id = uuid.uuid4(), uuid.uuid4()
    workflow_id = workflow_ids.session_analysis(session_id, 1)
    session.add(
        Source(
            id=source_id,
            owner_id=new.learner_id,
            kind=SourceKind.transcript.value,
            format=f"session_{new.transcript_format}",
            name=new.name,
            content_hash=new.content_hash,
            size_bytes=new.size,
            object_key=key,
            status=SourceStatus.processing,
            workflow_id=workflow_id,
        )
    )
    await session.flush()
    row = TutoringSession(
        id=session_id,
        organization_id=actor.organization_id,
        learner_id=new.learner_id,
        tutor_id=tutor_id,
        created_by=actor.id,
        source_id=source_id,
        subject=new.subject,
        session_date=new.session_date,
        duration_minutes=new.duration_minutes,
        transcript_format=new.transcript_format,
        speaker_mapping=new.speaker_mapping,
        status=SessionStatus.processing,
        stage="queued",
        analysis_version=1,
    )
    session.add(row)
    await session.flush()
    session.add(SessionAnalysis(session_id=session_id, version=1, status=SessionStatus.processing))
    await admission.record(analysis_start(settings, row, 1, allowance == Allowance.llm))
    await admission.commit()
    await session.refresh(row)
    return row


def analysis_start(settings, row: TutoringSession, version: int, llm_allowed: bool) -> StartRequest:
    return StartRequest(
        workflow_type=workflow_types.SESSION_ANALYSIS,
        argument=SessionAnalysisInput(
            session_id=row.id,
            version=version,
            retry=start_inputs.llm_retry(settings),
            window_words=settings.session_window_words,
            llm_allowed=llm_allowed,
            cpu_task_queue=settings.task_queue_cpu,
        ),
        workflow_id=workflow_ids.session_analysis(row.id, version),
        task_queue=settings.task_queue_interactive,
        search_attributes=search_attributes.for_user(row.learner_id),
        subject_kind=SubjectKind.session,
        subject_id=row.id,
    )


async def _linked_tutor(session: AsyncSession, actor: Actor, learner_id: uuid.UUID) -> uuid.UUID | None:
    """A learner's own upload is for their tutor in the organisation they are in (the first linked)."""
    if actor.organization_id is None:
        return None
    return await session.scalar(
        select(TutorLink.tutor_id)
        .where(
            TutorLink.organization_id == actor.organization_id,
            TutorLink.learner_id == learner_id,
            TutorLink.revoked_at.is_(None),
        )
        .order_by(TutorLink.created_at)
        .limit(1)
    )


async def session_for(
    session: AsyncSession, actor: Actor, session_id: uuid.UUID, action: Action = Action.read, *, lock: bool = False
) -> TutoringSession:
    query = select(TutoringSession).where(TutoringSession.id == session_id)
    row = await session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise ServiceError(404, f"{_what(session_id)} not found")
    await authorize(session, actor, row.learner_id, LearnerData.session, action, _what(session_id))
    return row


async def sessions_for(session: AsyncSession, actor: Actor, learner_id: uuid.UUID | None) -> list[TutoringSession]:
    """One learner's sessions (the actor's own without `learner_id`); for a tutor without
    `learner_id`, the sessions of every learner linked to them; for an admin, the organisation's."""
    query = select(TutoringSession).order_by(TutoringSession.session_date.desc(), TutoringSession.created_at.desc())
    if learner_id is not None:
        await authorize(session, actor, learner_id, LearnerData.session, Action.read, f"learner {learner_id}")
        query = query.where(TutoringSession.learner_id == learner_id)
    elif actor.is_tutor:
        linked = select(TutorLink.learner_id).where(
            TutorLink.organization_id == actor.organization_id,
            TutorLink.tutor_id == actor.id,
            TutorLink.revoked_at.is_(None),
        )
        query = query.where(or_(TutoringSession.learner_id.in_(linked), TutoringSession.learner_id == actor.id))
    elif actor.is_admin:
        query = query.where(
            or_(TutoringSession.organization_id == actor.organization_id, TutoringSession.learner_id == actor.id)
        )
    else:
        query = query.where(TutoringSession.learner_id == actor.id)
    return list((await session.scalars(query.limit(500))).all())


async def current_analysis(session: AsyncSession, row: TutoringSession) -> SessionAnalysis | None:
    """The newest version that finished, else the one in progress."""
    analyses = (
        await session.scalars(
            select(SessionAnalysis).where(SessionAnalysis.session_id == row.id).order_by(SessionAnalysis.version.desc())
        )
    ).all()
    return next((a for a in analyses if a.status == SessionStatus.ready), analyses[0] if analyses else None)


@dataclass(frozen=True)
class Correction:
    speaker_mapping: dict[str, str] | None = None
    # utterance index -> corrected text
    utterances: dict[int, str] | None = None


async def correct_session(admission: Admission, session_id: uuid.UUID, correction: Correction) -> TutoringSession:
    """A corrected transcript or speaker mapping is analysed again as the next version; the
    earlier versions stay, with the practice they assigned."""
    session, settings = admission.session, admission.settings
    row = await session_for(session, admission.actor, session_id, Action.submit, lock=True)
    if row.status == SessionStatus.processing:
        raise ServiceError(409, f"{_what(session_id)} is being analysed; correct it once that is done")
    base = await current_analysis(session, row)
    if base is None or base.transcript is None:
        raise ServiceError(409, f"{_what(session_id)} has no transcript that was read; upload it again")
    transcript = [dict(u) for u in base.transcript]
    if correction.speaker_mapping is not None:
        speakers = {u["speaker"] for u in transcript}
        unknown = sorted(set(correction.speaker_mapping) - speakers)
        if unknown:
            raise ServiceError(422, f"speaker_mapping names speakers not in the transcript: {', '.join(unknown)}")
        roles = list(correction.speaker_mapping.values())
        if roles.count(SpeakerRole.tutor) > 1 or roles.count(SpeakerRole.learner) > 1:
            raise ServiceError(422, "speaker_mapping: one tutor and one learner at most")
    for index, text in (correction.utterances or {}).items():
        if not 0 <= index < len(transcript):
            raise ServiceError(422, f"utterances: no utterance {index} (the transcript has {len(transcript)})")
        if not text.strip():
            raise ServiceError(422, f"utterances: utterance {index} would be empty")
        transcript[index]["text"] = " ".join(text.split())
    version = row.analysis_version + 1
    if correction.speaker_mapping is not None:
        row.speaker_mapping = {**(row.speaker_mapping or {}), **correction.speaker_mapping}
    row.analysis_version, row.status, row.stage, row.error = version, SessionStatus.processing, "queued", None
    session.add(
        SessionAnalysis(session_id=row.id, version=version, status=SessionStatus.processing, transcript=transcript)
    )
    learner = await actor_of(session, row.learner_id)
    allowance = await llm_allowance.allow(session, settings, learner, LlmWork.session, now=admission._now)
    await admission.record(analysis_start(settings, row, version, allowance == Allowance.llm))
    await admission.commit()
    await session.refresh(row)
    return row


async def delete_session(
    session: AsyncSession, temporal: Client, store: ObjectStore, actor: Actor, session_id: uuid.UUID, settings
) -> list[WorkflowStart]:
    """The session, its transcript (source, chunks, stored bytes), its analyses and the mastery they
    contributed go; mastery is computed again from what remains. Practice already assigned stays
    (its course is the learner's). Running analyses are cancelled. Returns the learner-context
    writers to start (their tutors' view of them changed)."""
    row = await session_for(session, actor, session_id, Action.submit, lock=True)
    running = [
        workflow_ids.session_analysis(row.id, v)
        for (v,) in await session.execute(
            select(SessionAnalysis.version).where(
                SessionAnalysis.session_id == row.id, SessionAnalysis.status == SessionStatus.processing
            )
        )
    ]
    topics = set(await session.scalars(select(MasteryEvidence.topic_id).where(MasteryEvidence.session_id == row.id)))
    await session.execute(delete(MasteryEvidence).where(MasteryEvidence.session_id == row.id))
    await recompute(session, row.learner_id, topics)
    key = None
    if row.source_id is not None:
        key = await session.scalar(select(Source.object_key).where(Source.id == row.source_id))
        await session.execute(delete(Source).where(Source.id == row.source_id))
    await session.execute(delete(TutoringSession).where(TutoringSession.id == row.id))
    # A session counted in a rolled-up day no longer is: that day rolls again.
    await mark_dirty(session, row.learner_id, row.session_date, today_in(settings.day_timezone))
    starts = await mark_stale(session, settings, row.learner_id)
    await session.commit()
    if key:
        await asyncio.to_thread(store.delete, key)
    for workflow_id in running:
        try:
            await temporal.get_workflow_handle(workflow_id).cancel()
        except RPCError as exc:  # already finished
            log.info("cancel %s: %s", workflow_id, exc)
    return starts


async def concepts_of(session: AsyncSession, analysis_id: uuid.UUID) -> list[SessionConcept]:
    return list(
        (
            await session.scalars(
                select(SessionConcept)
                .where(SessionConcept.analysis_id == analysis_id)
                .order_by(SessionConcept.position)
            )
        ).all()
    )


async def sessions_count(session: AsyncSession, learner_id: uuid.UUID) -> int:
    counted = await session.execute(
        select(func.count()).where(TutoringSession.learner_id == learner_id, TutoringSession.status != "failed")
    )
    return counted.scalar_one()


async def fail_session(session: AsyncSession, session_id: uuid.UUID, version: int | None, reason: str) -> bool:
    """The analysis in progress (this version, or any) and the session are failed with the reason."""
    query = update(SessionAnalysis).where(
        SessionAnalysis.session_id == session_id, SessionAnalysis.status == SessionStatus.processing
    )
    if version is not None:
        query = query.where(SessionAnalysis.version == version)
    failed = await session.scalar(
        query.values(status=SessionStatus.failed, error=reason, completed_at=func.now()).returning(
            SessionAnalysis.version
        )
    )
    if failed is None:
        return False
    await session.execute(
        update(TutoringSession)
        .where(TutoringSession.id == session_id, TutoringSession.analysis_version == failed)
        .values(status=SessionStatus.failed, error=reason, stage="failed")
    )
    return True
