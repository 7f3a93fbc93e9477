"""The learner's own material: upload a file or name a web page; ingestion runs as a workflow."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy import select

from api.deps import AdmissionDep, CurrentUserDep, ObjectStoreDep, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.schemas.sources import SourceAccepted, SourceList, SourceUrlCreate, SourceView
from api.upload import UPLOAD_CEILING_BYTES, discard_body, receive_upload
from db.models import Source
from db.source_usage import source_usage
from services import sources
from services.llm_allowance import LlmWork
from services.owned import owned_source
from services.policy import Action
from services.sources import Admitted, NewSource
from studyflow.object_store import file_content_hash, url_content_hash
from studyflow.settings import Settings
from studyflow.source_kinds import SUPPORTED, SourceKind, UnsupportedContent, display_name, sniff

log = logging.getLogger("studyflow.api.sources")
router = APIRouter(prefix="/v1/sources", tags=["sources"])
_JSON_LIMIT = 16 * 1024
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


@router.post(
    "",
    status_code=202,
    response_model=SourceAccepted,
    openapi_extra={"requestBody": _UPLOAD_BODY},
    # The app-wide body limit is for JSON; the upload checks SOURCE_MAX_BYTES while reading it.
    max_body_size=UPLOAD_CEILING_BYTES,
    responses={
        200: {"description": "this learner already has this file (or URL): the existing source"},
        413: {"description": "over the upload limit or the storage quota"},
        415: {"description": "not a supported kind of file (decided by its content)"},
        429: {"description": "source quota reached"},
    },
)
async def add_source(
    request: Request,
    response: Response,
    admission: AdmissionDep,
    store: ObjectStoreDep,
) -> SourceAccepted:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    refusal = await admission.refusal_now(LlmWork.source)
    if refusal is not None:
        await discard_body(request, admission.settings.source_max_bytes)
        raise refusal
    with tempfile.TemporaryDirectory(prefix="studyflow-upload-") as directory:
        if media_type == "multipart/form-data":
            new = await _uploaded(request, admission.settings, Path(directory))
        elif media_type == "application/json":
            new = await _named_url(request)
        else:
            raise ApiError(
                415, 'send a file as multipart/form-data in a field named \'file\', or JSON {"url": "https://..."}'
            )
        source, admitted = await sources.admit_source(admission, store, new)
    if admitted == Admitted.existing:
        response.status_code = 200
    return SourceAccepted(**SourceView.of(source).model_dump(), status_url=f"/v1/sources/{source.id}")


async def _uploaded(request: Request, settings: Settings, directory: Path) -> NewSource:
    received = await receive_upload(request, settings.source_max_bytes, directory)
    try:
        kind = await asyncio.to_thread(sniff, received.path, received.filename)
    except UnsupportedContent as error:
        raise ApiError(415, str(error)) from None
    return NewSource(
        kind=kind,
        name=display_name(received.filename),
        content_hash=await asyncio.to_thread(file_content_hash, received.path),
        size=received.size,
        file=received.path,
    )


async def _named_url(request: Request) -> NewSource:
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
    return NewSource(
        kind=SourceKind.url,
        name=(parts.netloc + parts.path).rstrip("/")[:300],
        content_hash=url_content_hash(url),
        size=0,
        url=url,
    )


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
    return SourceView.of(await owned_source(session, source_id, user, Action.read))


@router.delete("/{source_id}", status_code=204, response_class=Response)
async def delete_source(
    source_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
    temporal: TemporalDep,
    store: ObjectStoreDep,
) -> Response:
    """The source, its chunks (and so its citations) and its stored bytes go; courses built from it stay."""
    await sources.delete_source(session, temporal, store, await owned_source(session, source_id, user))
    return Response(status_code=204)
