"""The learner's own material: admitting a file or a web page for ingestion, and deleting one."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from db.models import Source, User
from db.source_usage import source_usage
from services.admission import Admission
from services.errors import ServiceError
from services.llm_allowance import LlmWork
from services.outbox import StartRequest
from studyflow import search_attributes, workflow_ids, workflow_types
from studyflow.contracts.workflow_inputs import SourceIngestionInput
from studyflow.object_store import ObjectStore, object_key
from studyflow.settings import Settings
from studyflow.sizes import human_size
from studyflow.source_kinds import SourceKind
from studyflow.statuses import SourceStatus, SubjectKind

log = logging.getLogger("studyflow.sources")


@dataclass(frozen=True)
class NewSource:
    kind: SourceKind
    name: str
    content_hash: str
    size: int
    file: Path | None = None
    url: str | None = None

    @property
    def format(self) -> str | None:
        return None if self.kind == SourceKind.url else self.kind.value


class Admitted(StrEnum):
    existing = "existing"  # the learner has it already: nothing new happens
    new = "new"
    revived = "revived"  # a failed one, uploaded again


async def admit_source(admission: Admission, store: ObjectStore, new: NewSource) -> tuple[Source, Admitted]:
    """The bytes are stored before any lock is taken (copying 25 MB under the learner's row lock
    stalled their other requests); the quota check and the insert then run under that lock, so
    parallel uploads can neither overshoot the quota nor store one file twice. Bytes stored for a
    request that is then refused are removed again."""
    session, actor, settings = admission.session, admission.actor, admission.settings
    await admission.allow_llm(LlmWork.source)
    existing = await _same_content(session, actor.id, new)
    if existing is not None and existing.status != SourceStatus.failed:
        await admission.commit()  # the rate-limit token
        return existing, Admitted.existing
    _check_quota(settings, actor.plan, new.size, *await source_usage(session, actor.id))
    key: str | None = None
    if new.file:
        key = object_key(actor.id, new.content_hash)
        await asyncio.to_thread(store.put, key, new.file)
    try:
        return await _insert(admission, new, key)
    except BaseException:
        if key and not await _kept_by_another(session, actor.id, new):
            await asyncio.to_thread(store.delete, key)
        raise


async def _insert(admission: Admission, new: NewSource, key: str | None) -> tuple[Source, Admitted]:
    session, actor, settings = admission.session, admission.actor, admission.settings
    await session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    existing = await _same_content(session, actor.id, new)
    if existing is not None and existing.status != SourceStatus.failed:
        await admission.commit()
        return existing, Admitted.existing
    _check_quota(settings, actor.plan, new.size, *await source_usage(session, actor.id))
    if existing is not None:
        attempt = existing.retry_count + 1
        workflow_id = workflow_ids.source_ingestion(existing.id, attempt)
        values: dict[str, Any] = dict(
            status=SourceStatus.processing, error=None, retry_count=attempt, units=None, skipped_units=0
        )
        values.update(chunk_count=0, size_bytes=new.size, object_key=key, format=new.format)
        values.update(workflow_id=workflow_id)
        for name, value in values.items():
            setattr(existing, name, value)
        source, admitted = existing, Admitted.revived
    else:
        source_id = uuid.uuid4()
        workflow_id = workflow_ids.source_ingestion(source_id)
        source = Source(
            id=source_id,
            owner_id=actor.id,
            kind=new.kind.value,
            format=new.format,
            name=new.name,
            url=new.url,
            content_hash=new.content_hash,
            size_bytes=new.size,
            object_key=key,
            status=SourceStatus.processing,
            workflow_id=workflow_id,
        )
        session.add(source)
        admitted = Admitted.new
    await session.flush()
    await admission.record(
        StartRequest(
            workflow_type=workflow_types.SOURCE_INGESTION,
            argument=SourceIngestionInput(
                source_id=source.id,
                batch_units=settings.source_batch_units,
                batches_per_run=settings.source_batches_per_run,
                cpu_task_queue=settings.task_queue_cpu,
            ),
            workflow_id=workflow_id,
            task_queue=settings.task_queue_interactive,
            search_attributes=search_attributes.for_user(actor.id),
            subject_kind=SubjectKind.source,
            subject_id=source.id,
        )
    )
    await admission.commit()
    await session.refresh(source)
    return source, admitted


async def _same_content(session: AsyncSession, owner_id: uuid.UUID, new: NewSource) -> Source | None:
    return await session.scalar(
        select(Source).where(Source.owner_id == owner_id, Source.content_hash == new.content_hash)
    )


async def _kept_by_another(session: AsyncSession, owner_id: uuid.UUID, new: NewSource) -> bool:
    await session.rollback()
    kept = await _same_content(session, owner_id, new)
    return kept is not None and kept.status != SourceStatus.failed


def _check_quota(settings: Settings, plan: str, size: int, kept: int, used: int) -> None:
    allowed = settings.sources_allowed(plan)
    if kept >= allowed:
        raise ServiceError(
            429, f"source limit reached: {allowed} sources on the {plan} plan; delete one to add another"
        )
    storage = settings.source_storage_bytes(plan)
    if used + size > storage:
        raise ServiceError(
            413,
            f"storage quota: this file ({human_size(size)}) would take your sources to "
            f"{human_size(used + size)} of the {human_size(storage)} on the {plan} plan; "
            "delete a source to make room",
        )


async def delete_source(session: AsyncSession, temporal: Client, store: ObjectStore, source: Source) -> None:
    """The source, its chunks (and so its citations) and its stored bytes go; courses built from it stay."""
    running = source.workflow_id if source.status == SourceStatus.processing else None
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
