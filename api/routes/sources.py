"""The learner's own material: upload a file or name a web page; ingestion runs as a workflow."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from api.deps import CurrentUserDep, ObjectStoreDep, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.owned import owned_source
from api.rate_limit import generation_rate_limit
from api.schemas.sources import SourceAccepted, SourceList, SourceUrlCreate, SourceView
from api.upload import human_size, receive_upload
from api.workflow_launch import WorkflowNotStarted, launch
from db.models import Source, User, WorkflowStart
from db.source_usage import source_usage
from studyflow import search_attributes, workflow_ids
from studyflow.contracts.workflow_inputs import SourceIngestionInput
from studyflow.object_store import ObjectStore, file_content_hash, object_key, url_content_hash
from studyflow.settings import Settings
from studyflow.source_kinds import SUPPORTED, SourceKind, UnsupportedContent, display_name, sniff
from studyflow.workflow_outbox import discard_start, record_start
from workflows.source_ingestion import SourceIngestionWorkflow

log = logging.getLogger("studyflow.api.sources")
router = APIRouter(prefix="/v1/sources", tags=["sources"])
_JSON_LIMIT = 16 * 1024
UPLOAD_CEILING_BYTES = 1 << 40
_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary", "description": SUPPORTED}},
                "additionalProperties": False,
            }
        },
        "application/json": {"schema": SourceUrlCreate.model_json_schema()},
    },
}


@dataclass(frozen=True)
class _NewSource:
    kind: SourceKind
    name: str
    content_hash: str
    size: int
    file: Path | None = None
    url: str | None = None


@router.post(
    "",
    status_code=202,
    response_model=SourceAccepted,
    dependencies=[Depends(generation_rate_limit)],
    openapi_extra={"requestBody": _UPLOAD_BODY},
    # The app-wide body limit is for JSON; the upload checks SOURCE_MAX_BYTES while reading it.
    max_body_size=UPLOAD_CEILING_BYTES,
    responses={
        200: {"description": "this learner already has this file (or URL): the existing source"},
        413: {"description": "over the upload limit or the storage quota"},
        415: {"description": "not a supported kind of file (decided by its content)"},
        429: {"description": "source quota reached"},
        503: {"description": "the workflow service is unavailable; nothing was stored"},
    },
)
async def add_source(
    request: Request,
    response: Response,
    user: CurrentUserDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    store: ObjectStoreDep,
) -> SourceAccepted:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    with tempfile.TemporaryDirectory(prefix="studyflow-upload-") as directory:
        if media_type == "multipart/form-data":
            new = await _uploaded(request, settings, Path(directory))
        elif media_type == "application/json":
            new = await _named_url(request)
        else:
            raise ApiError(
                415, 'send a file as multipart/form-data in a field named \'file\', or JSON {"url": "https://..."}'
            )
        source, admitted, record = await _admit(session, temporal, store, user.id, user.plan, settings, new)
    if admitted == "existing":
        response.status_code = 200
        return _accepted(source)
    try:
        await launch(session, temporal, settings, record)
    except WorkflowNotStarted as exc:
        # Nothing half-written: no workflow, no source (and its bytes go with it).
        await discard_start(session, source.workflow_id)
        if admitted == "revived":
            source.status, source.error, source.object_key = "failed", "could not start reading; upload it again", None
        else:
            await session.delete(source)
        key = object_key(user.id, new.content_hash) if new.file else None
        await session.commit()
        if key:
            await asyncio.to_thread(store.delete, key)
        raise ApiError(503, "workflow service unavailable, the source was not added") from exc
    return _accepted(source)


async def _uploaded(request: Request, settings: Settings, directory: Path) -> _NewSource:
    received = await receive_upload(request, settings.source_max_bytes, directory)
    try:
        kind = await asyncio.to_thread(sniff, received.path, received.filename)
    except UnsupportedContent as error:
        raise ApiError(415, str(error)) from None
    return _NewSource(
        kind=kind,
        name=display_name(received.filename),
        content_hash=await asyncio.to_thread(file_content_hash, received.path),
        size=received.size,
        file=received.path,
    )


async def _named_url(request: Request) -> _NewSource:
    body = b""
    async for block in request.stream():
        body += block
        if len(body) > _JSON_LIMIT:
            raise ApiError(413, f"a URL request body is at most {_JSON_LIMIT // 1024} KB")
    try:
        payload = SourceUrlCreate.model_validate_json(body or b"{}")
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_url=False)) from None
    url = str(payload.url)
    parts = urlsplit(url)
    return _NewSource(
        kind=SourceKind.url,
        name=(parts.netloc + parts.path).rstrip("/")[:300],
        content_hash=url_content_hash(url),
        size=0,
        url=url,
    )


async def _admit(
    session: AsyncSession,
    temporal: Client,
    store: ObjectStore,
    user_id: uuid.UUID,
    plan: str,
    settings: Settings,
    new: _NewSource,
) -> tuple[Source, str, WorkflowStart | None]:
    """Quota check and insert under the learner's row lock, so parallel uploads cannot overshoot
    the quota or store one file twice. Returns the source and how it was admitted: `existing`
    (the learner has it already), `new`, or `revived` (a failed one uploaded again)."""
    await session.execute(select(User.id).where(User.id == user_id).with_for_update())
    existing = await session.scalar(
        select(Source).where(Source.owner_id == user_id, Source.content_hash == new.content_hash)
    )
    if existing is not None and existing.status != "failed":
        await session.commit()
        return existing, "existing", None
    kept, used = await source_usage(session, user_id)
    allowed = settings.sources_allowed(plan)
    if kept >= allowed:
        raise ApiError(429, f"source limit reached: {allowed} sources on the {plan} plan; delete one to add another")
    storage = settings.source_storage_bytes(plan)
    if used + new.size > storage:
        raise ApiError(
            413,
            f"storage quota: this file ({human_size(new.size)}) would take your sources to "
            f"{human_size(used + new.size)} of the {human_size(storage)} on the {plan} plan; "
            "delete a source to make room",
        )
    key = object_key(user_id, new.content_hash) if new.file else None
    if key:
        await asyncio.to_thread(store.put, key, new.file)
    if existing is not None:
        attempt = existing.retry_count + 1
        values = dict(status="processing", error=None, retry_count=attempt, units=None, skipped_units=0, chunk_count=0)
        values.update(size_bytes=new.size, object_key=key, format=_format(new))
        values.update(workflow_id=workflow_ids.source_ingestion(existing.id, attempt))
        for name, value in values.items():
            setattr(existing, name, value)
        source = existing
    else:
        source_id = uuid.uuid4()
        source = Source(
            id=source_id,
            owner_id=user_id,
            kind=new.kind.value,
            format=_format(new),
            name=new.name,
            url=new.url,
            content_hash=new.content_hash,
            size_bytes=new.size,
            object_key=key,
            status="processing",
            workflow_id=workflow_ids.source_ingestion(source_id),
        )
        session.add(source)
    await session.flush()
    record = await record_start(
        session,
        temporal,
        SourceIngestionWorkflow,
        SourceIngestionInput(
            source_id=source.id,
            batch_units=settings.source_batch_units,
            batches_per_run=settings.source_batches_per_run,
            cpu_task_queue=settings.task_queue_cpu,
        ),
        id=source.workflow_id,
        task_queue=settings.task_queue_interactive,
        search_attributes=search_attributes.for_user(user_id),
    )
    await session.commit()
    await session.refresh(source)
    return source, "new" if existing is None else "revived", record


def _format(new: _NewSource) -> str | None:
    return None if new.kind == SourceKind.url else new.kind.value


def _accepted(source: Source) -> SourceAccepted:
    return SourceAccepted(**SourceView.of(source).model_dump(), status_url=f"/v1/sources/{source.id}")


@router.get("", response_model=SourceList)
async def list_sources(user: CurrentUserDep, session: SessionDep, settings: SettingsDep) -> SourceList:
    rows = (
        await session.scalars(
            select(Source).where(Source.owner_id == user.id).order_by(Source.created_at.desc(), Source.id)
        )
    ).all()
    _, used = await source_usage(session, user.id)
    return SourceList(
        items=[SourceView.of(row) for row in rows],
        total=len(rows),
        used_bytes=used,
        storage_limit_bytes=settings.source_storage_bytes(user.plan),
        source_limit=settings.sources_allowed(user.plan),
    )


@router.get("/{source_id}", response_model=SourceView)
async def get_source(source_id: uuid.UUID, user: CurrentUserDep, session: SessionDep) -> SourceView:
    return SourceView.of(await owned_source(session, source_id, user))


@router.delete("/{source_id}", status_code=204, response_class=Response)
async def delete_source(
    source_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
    temporal: TemporalDep,
    store: ObjectStoreDep,
) -> Response:
    """The source, its chunks (and so its citations) and its stored bytes go; courses built from it stay."""
    source = await owned_source(session, source_id, user)
    running = source.workflow_id if source.status == "processing" else None
    key = source.object_key
    await session.execute(delete(Source).where(Source.id == source.id))
    await session.commit()
    if key:
        await asyncio.to_thread(store.delete, key)
    if running:
        try:
            await temporal.get_workflow_handle(running).cancel()
        except RPCError as exc:  # already finished
            log.info("cancel %s: %s", running, exc)
    return Response(status_code=204)
