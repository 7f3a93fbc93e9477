"""Activities of SourceIngestionWorkflow: prepare (fetch a URL, count pages) → index batches of
pages (read in a bounded process, chunk, embed, replace the batch's chunks) → ready, or failed
with the learner's message and nothing left behind (no chunks, no stored file)."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.chunking import chunk_text
from activities.embedders import Embedder
from activities.errors import SourceUnreadableError, SubjectGoneError
from activities.heartbeat import heartbeating
from activities.sources.extracted import Extracted
from activities.sources.sandboxed_read import SandboxLimits, read_in_sandbox
from activities.sources.url_fetch import fetch_page
from db.models import ContentChunk, Source, User
from db.source_usage import source_usage
from services.source_failure import fail_source
from studyflow.contracts.activity_io import (
    FailureInput,
    SourceBatch,
    SourceBatchResult,
    SourcePlan,
    SourceReadyInput,
    SourceRef,
)
from studyflow.object_store import ObjectStore, object_key
from studyflow.settings import Settings
from studyflow.source_kinds import SourceKind, UnsupportedContent, sniff
from studyflow.statuses import SourceStatus

# chunk_index = batch_index * BATCH_SPAN + position: a retried batch replaces exactly its own chunks.
BATCH_SPAN = 100_000
EMBED_BATCH = 64
EMPTY = "This file is empty: there is nothing in it to study."
NO_TEXT_LAYER = (
    "This PDF has no text layer: it looks like scanned pages or pictures of text. Export it with "
    "text (or run it through OCR) and upload it again."
)
NO_TEXT = "We found no text to study in this file."


def _too_many_units(units: int, limit: int, fmt: str | None) -> str:
    what = "pages" if fmt == "pdf" else "sections"
    return f"This document has {units} {what}; the most we read is {limit}. Split it and upload the parts."


class SourceIngestionActivities:
    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        embedder: Embedder,
        store: ObjectStore,
    ):
        self._settings = settings
        self._sessions = session_factory
        self._embedder = embedder
        self._store = store
        self._limits = SandboxLimits.from_settings(settings)

    async def _load(self, source_id: uuid.UUID) -> Source:
        async with self._sessions() as session:
            source = await session.get(Source, source_id)
        if source is None:
            raise SubjectGoneError(f"source {source_id} no longer exists")
        return source

    async def _read(self, source: Source, window: tuple[int, int] | None) -> Extracted:
        if source.object_key is None or source.format is None:
            raise RuntimeError(f"source {source.id} has no stored bytes to read")
        copy = self._store.local_copy(source.object_key)
        path = await asyncio.to_thread(copy.__enter__)
        try:
            return await read_in_sandbox(source.format, path, window, self._limits)
        finally:
            await asyncio.to_thread(copy.__exit__, None, None, None)

    @activity.defn
    async def prepare_source(self, ref: SourceRef) -> SourcePlan:
        source = await self._load(ref.source_id)
        if source.status == SourceStatus.ready:
            return SourcePlan(units=source.units or 0, already_ready=True)
        if source.kind == SourceKind.url.value and source.object_key is None:
            source = await self._fetch(source)
        if source.size_bytes == 0:
            raise SourceUnreadableError(EMPTY)
        async with heartbeating():
            extracted = await self._read(source, None)
        if extracted.units == 0:
            raise SourceUnreadableError(NO_TEXT)
        if extracted.units > self._settings.source_max_units:
            raise SourceUnreadableError(
                _too_many_units(extracted.units, self._settings.source_max_units, source.format)
            )
        values: dict = {"units": extracted.units}
        if source.kind == SourceKind.url.value and extracted.title:
            values["name"] = extracted.title
        async with self._sessions.begin() as session:
            await session.execute(update(Source).where(Source.id == source.id).values(**values))
        return SourcePlan(units=extracted.units)

    async def _fetch(self, source: Source) -> Source:
        """A URL source's page is fetched once, stored like an upload, and read like one."""
        if source.url is None:
            raise RuntimeError(f"source {source.id} is a URL source without a URL")
        with tempfile.TemporaryDirectory(prefix="studyflow-url-") as directory:
            path = Path(directory) / "page"
            async with heartbeating():
                page = await fetch_page(
                    source.url,
                    path,
                    max_bytes=self._settings.source_max_bytes,
                    timeout_seconds=self._settings.source_url_timeout_seconds,
                    allow_private=self._settings.source_url_allow_private,
                )
            name = Path(urlsplit(page.final_url).path).name
            try:
                fmt = await asyncio.to_thread(sniff, path, name)
            except UnsupportedContent as error:
                raise SourceUnreadableError(f"The page is not something we can read: {error}.") from None
            await self._check_storage(source, page.size_bytes)
            key = object_key(source.owner_id, source.content_hash)
            await asyncio.to_thread(self._store.put, key, path)
        async with self._sessions.begin() as session:
            await session.execute(
                update(Source)
                .where(Source.id == source.id)
                .values(object_key=key, size_bytes=page.size_bytes, format=fmt.value)
            )
        return await self._load(source.id)

    async def _check_storage(self, source: Source, size: int) -> None:
        async with self._sessions() as session:
            plan = await session.scalar(select(User.plan).where(User.id == source.owner_id))
            _, used = await source_usage(session, source.owner_id, excluding=source.id)
        limit = self._settings.source_storage_bytes(plan or "free")
        if used + size > limit:
            raise SourceUnreadableError(
                f"This page ({size // 1024} KB) does not fit in your storage ({limit // (1024 * 1024)} MB on the "
                f"{plan or 'free'} plan). Delete a source and try again."
            )

    @activity.defn
    async def index_source_batch(self, batch: SourceBatch) -> SourceBatchResult:
        source = await self._load(batch.source_id)
        if source.status != SourceStatus.processing:
            return SourceBatchResult(chunks=0, skipped=0)
        async with heartbeating():
            extracted = await self._read(source, (batch.start, batch.end))
            pieces = [(text, section.locator) for section in extracted.sections for text in chunk_text(section.text)]
            texts = [text for text, _ in pieces]
            vectors: list[list[float]] = []
            for start in range(0, len(texts), EMBED_BATCH):
                vectors += await self._embedder.embed(texts[start : start + EMBED_BATCH])
        first = batch.batch_index * BATCH_SPAN
        async with self._sessions.begin() as session:
            status = await session.scalar(select(Source.status).where(Source.id == source.id).with_for_update())
            if status is None:
                raise SubjectGoneError(f"source {source.id} no longer exists")
            if status != SourceStatus.processing:
                return SourceBatchResult(chunks=0, skipped=0)
            await session.execute(
                delete(ContentChunk).where(
                    ContentChunk.source_id == source.id,
                    ContentChunk.chunk_index >= first,
                    ContentChunk.chunk_index < first + BATCH_SPAN,
                )
            )
            if pieces:
                await session.execute(
                    insert(ContentChunk),
                    [
                        {
                            "owner_id": source.owner_id,
                            "source_id": source.id,
                            "source": "source",
                            "chunk_index": first + position,
                            "text": text,
                            "locator": locator,
                            "embedding": vector,
                        }
                        for position, ((text, locator), vector) in enumerate(zip(pieces, vectors, strict=True))
                    ],
                )
        return SourceBatchResult(chunks=len(pieces), skipped=extracted.skipped)

    @activity.defn
    async def mark_source_ready(self, data: SourceReadyInput) -> bool:
        async with self._sessions.begin() as session:
            source = await session.scalar(select(Source).where(Source.id == data.source_id).with_for_update())
            if source is None:
                raise SubjectGoneError(f"source {data.source_id} no longer exists")
            if source.status != SourceStatus.processing:
                return False
            chunks = await session.scalar(select(func.count()).where(ContentChunk.source_id == source.id))
            if not chunks:
                raise SourceUnreadableError(NO_TEXT_LAYER if source.format == "pdf" else NO_TEXT)
            source.status, source.chunk_count, source.skipped_units, source.error = (
                SourceStatus.ready,
                chunks,
                data.skipped_units,
                None,
            )
        return True

    @activity.defn
    async def mark_source_failed(self, data: FailureInput) -> None:
        await fail_source(self._sessions, self._store, data.subject_id, data.error)
