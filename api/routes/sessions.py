"""Tutoring sessions: a tutor uploads a session's transcript for a learner linked to them (or the
learner for themself); SessionAnalysisWorkflow analyses it; both read it, correct it (a new
analysis version) or delete it. Who may do what is services/policy.py's (`LearnerData.session`)."""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from datetime import date
from pathlib import Path

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from pydantic import ValidationError
from sqlalchemy import func, select

from api.deps import AdmissionDep, CurrentUserDep, ObjectStoreDep, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.openapi_errors import CONFLICT, FORBIDDEN, NOT_FOUND, RATE_LIMITED
from api.schemas.sessions import (
    AnalysisView,
    ConceptView,
    EvidenceView,
    SessionAccepted,
    SessionCorrection,
    SessionList,
    SessionSummary,
    SessionView,
    UtteranceView,
)
from api.upload import UPLOAD_CEILING_BYTES, receive_upload
from db.models import SessionAnalysis, TutoringSession, User
from services import sessions
from studyflow.object_store import file_content_hash
from studyflow.sessions.transcript import FORMATS_HELP, NotATranscript, clock, detect
from studyflow.source_kinds import display_name

router = APIRouter(prefix="/v1/sessions", tags=["tutoring sessions"])
_FORM = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "subject"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": FORMATS_HELP},
                    "learner_id": {
                        "type": "string",
                        "format": "uuid",
                        "description": "the learner the session was with (a tutor's linked learner); default: yourself",
                    },
                    "subject": {"type": "string", "minLength": 1, "maxLength": 200},
                    "session_date": {"type": "string", "format": "date", "description": "default: today"},
                    "duration_minutes": {"type": "integer", "minimum": 1, "maximum": 600},
                    "speaker_mapping": {
                        "type": "string",
                        "description": 'JSON object: speaker name → "tutor", "learner" or "other" (else inferred)',
                    },
                },
                "additionalProperties": False,
            }
        }
    },
}


@router.post(
    "",
    status_code=202,
    response_model=SessionAccepted,
    openapi_extra={"requestBody": _FORM},
    max_body_size=UPLOAD_CEILING_BYTES,
    responses={
        413: {"description": "over the upload limit or the learner's storage quota"},
        415: {"description": "not a transcript (decided by its content)"},
        **RATE_LIMITED,
        **CONFLICT,
        **NOT_FOUND,
        **FORBIDDEN,
    },
)
async def create_session(request: Request, admission: AdmissionDep, store: ObjectStoreDep) -> SessionAccepted:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        raise ApiError(415, "send the transcript as multipart/form-data in a field named 'file', with 'subject'")
    with tempfile.TemporaryDirectory(prefix="studyflow-session-") as directory:
        received = await receive_upload(request, admission.settings.source_max_bytes, Path(directory), max_fields=8)
        fields = received.fields
        text = await asyncio.to_thread(received.path.read_text, encoding="utf-8-sig", errors="replace")
        if "\x00" in text:
            raise ApiError(415, f"the file is binary data; send {FORMATS_HELP}")
        try:
            fmt = detect(text)
        except NotATranscript as error:
            raise ApiError(415, str(error)) from None
        new = sessions.NewSession(
            learner_id=_uuid(fields.get("learner_id")) or admission.actor.id,
            subject=_subject(fields.get("subject")),
            session_date=_date(fields.get("session_date")) or admission.today,
            duration_minutes=_minutes(fields.get("duration_minutes")),
            transcript_format=fmt.value,
            name=display_name(received.filename),
            content_hash=await asyncio.to_thread(file_content_hash, received.path),
            size=received.size,
            file=received.path,
            speaker_mapping=_mapping(fields.get("speaker_mapping")),
        )
        row = await sessions.admit_session(admission, store, new)
    summary = await _summary(admission.session, row)
    return SessionAccepted(**summary.model_dump(), status_url=f"/v1/sessions/{row.id}")


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, f"{field}: {message}")


def _uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _invalid("learner_id", "not a UUID") from None


def _subject(value: str | None) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise _invalid("subject", "required: what the session was about")
    if len(text) > 200 or any(ord(c) < 32 for c in text):
        raise _invalid("subject", "at most 200 printable characters")
    return text


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _invalid("session_date", "a date as YYYY-MM-DD") from None


def _minutes(value: str | None) -> int | None:
    if not value:
        return None
    if not value.strip().isdigit() or not 1 <= int(value) <= 600:
        raise _invalid("duration_minutes", "whole minutes, 1-600")
    return int(value)


def _mapping(value: str | None) -> dict[str, str]:
    if not value:
        return {}
    try:
        mapping = SessionCorrection.model_validate({"speaker_mapping": json.loads(value)}).speaker_mapping
    except (ValueError, ValidationError):
        raise _invalid("speaker_mapping", 'a JSON object of speaker name → "tutor", "learner" or "other"') from None
    return dict(mapping or {})


async def _names(session, ids) -> dict:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = await session.execute(
        select(User.id, func.coalesce(User.display_name, User.clerk_id)).where(User.id.in_(ids))
    )
    return dict(rows.all())


async def _summary(session, row: TutoringSession, names: dict | None = None) -> SessionSummary:
    names = names if names is not None else await _names(session, [row.learner_id])
    return SessionSummary(
        id=row.id,
        learner_id=row.learner_id,
        learner_name=names.get(row.learner_id, ""),
        tutor_id=row.tutor_id,
        organization_id=row.organization_id,
        subject=row.subject,
        session_date=row.session_date,
        duration_minutes=row.duration_minutes,
        transcript_format=row.transcript_format,
        status=row.status,
        stage=row.stage,
        error=row.error,
        analysis_version=row.analysis_version,
        source_id=row.source_id,
        created_at=row.created_at,
    )


@router.get("", response_model=SessionList, responses={**NOT_FOUND, **FORBIDDEN})
async def list_sessions(
    user: CurrentUserDep,
    session: SessionDep,
    learner_id: uuid.UUID | None = Query(default=None, description="one learner's sessions (yours by default)"),
) -> SessionList:
    rows = await sessions.sessions_for(session, user, learner_id)
    names = await _names(session, [r.learner_id for r in rows])
    return SessionList(sessions=[await _summary(session, r, names) for r in rows])


@router.get("/{session_id}", response_model=SessionView, responses={**NOT_FOUND, **FORBIDDEN})
async def get_session(
    session_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
    version: int | None = Query(default=None, ge=1, description="an earlier version of the analysis"),
) -> SessionView:
    row = await sessions.session_for(session, user, session_id)
    return await _view(session, row, version)


async def _view(session, row: TutoringSession, version: int | None = None) -> SessionView:
    if version is not None:
        analysis = await session.scalar(
            select(SessionAnalysis).where(SessionAnalysis.session_id == row.id, SessionAnalysis.version == version)
        )
        if analysis is None:
            raise ApiError(404, f"session {row.id} has no analysis version {version}")
    else:
        analysis = await sessions.current_analysis(session, row)
    versions = list(
        await session.scalars(
            select(SessionAnalysis.version)
            .where(SessionAnalysis.session_id == row.id)
            .order_by(SessionAnalysis.version)
        )
    )
    roles = dict((analysis.roles or {}) if analysis else {})
    transcript = [
        UtteranceView(
            index=u["index"],
            speaker=u["speaker"],
            role=roles.get(u["speaker"], "other"),
            text=u["text"],
            time=clock(u.get("start")),
        )
        for u in ((analysis.transcript or []) if analysis else [])
    ]
    view = None
    if analysis is not None:
        concepts = await sessions.concepts_of(session, analysis.id)
        view = AnalysisView(
            version=analysis.version,
            status=analysis.status,
            error=analysis.error,
            engine=analysis.engine,
            model=analysis.model,
            roles_from=analysis.roles_from,
            windows=analysis.windows,
            topics=analysis.topics,
            concepts=[
                ConceptView(
                    name=c.name,
                    difficulty=c.difficulty,
                    learner_showed=c.learner_showed,
                    evidence=[EvidenceView(**e) for e in c.evidence],
                    topic_id=c.topic_id,
                    matched=c.matched,
                )
                for c in concepts
            ],
            strengths=analysis.strengths,
            areas_for_improvement=analysis.areas_for_improvement,
            action_items=analysis.action_items,
            quotes_proposed=analysis.quotes_proposed,
            quotes_valid=analysis.quotes_valid,
            quotes_dropped=analysis.quotes_dropped,
            concepts_dropped=analysis.concepts_dropped,
            practice_course_id=analysis.practice_course_id,
            practice_status=analysis.practice_status,
            practice_error=analysis.practice_error,
            completed_at=analysis.completed_at,
        )
    summary = await _summary(session, row)
    return SessionView(
        **summary.model_dump(),
        speaker_mapping=row.speaker_mapping or {},
        speakers=roles,
        transcript=transcript,
        analysis=view,
        versions=versions,
    )


@router.patch(
    "/{session_id}",
    status_code=202,
    response_model=SessionView,
    responses={**NOT_FOUND, **FORBIDDEN, **CONFLICT, **RATE_LIMITED},
)
async def correct_session(session_id: uuid.UUID, body: SessionCorrection, admission: AdmissionDep) -> SessionView:
    """A corrected speaker mapping or transcript is analysed again as the next version (the
    earlier versions stay, with the practice they assigned)."""
    if body.speaker_mapping is None and not body.utterances:
        raise ApiError(422, "send speaker_mapping or utterances to correct")
    row = await sessions.correct_session(
        admission,
        session_id,
        sessions.Correction(
            speaker_mapping=dict(body.speaker_mapping) if body.speaker_mapping is not None else None,
            utterances=body.utterances,
        ),
    )
    return await _view(admission.session, row, row.analysis_version)


@router.delete("/{session_id}", status_code=204, response_class=Response, responses={**NOT_FOUND, **FORBIDDEN})
async def delete_session(
    session_id: uuid.UUID,
    request: Request,
    background: BackgroundTasks,
    user: CurrentUserDep,
    session: SessionDep,
    temporal: TemporalDep,
    store: ObjectStoreDep,
    settings: SettingsDep,
) -> Response:
    """The session, its transcript and chunks, its analyses and what they did to mastery (which is
    computed again); practice already assigned stays."""
    starts = await sessions.delete_session(session, temporal, store, user, session_id, settings)
    if starts:
        background.add_task(request.app.state.workflow_starter.start, starts)
    return Response(status_code=204)
