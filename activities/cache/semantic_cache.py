"""Semantic cache for generated study content.

A lookup matches only inside an exact scope (everything that changes the answer: content kind,
model, prompt version, difficulty, course type, language, size). Inside it, the stored request
with the highest cosine similarity is a hit at or above the threshold, and a near-hit in the band
below it; both must pass the lexical guard (numbers, negations, names). Near-hits are returned
separately and used only when the LLM has failed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.cache.guard import compatible
from db.models import SemanticCacheEntry
from studyflow.settings import Settings

_CANDIDATES = 5


@dataclass(frozen=True)
class CacheScope:
    kind: str
    model: str
    prompt_version: str
    difficulty: str
    course_type: str
    language: str
    size: int

    @property
    def key(self) -> str:
        return "|".join(
            [
                self.kind,
                self.model,
                self.prompt_version,
                self.difficulty,
                self.course_type,
                self.language,
                str(self.size),
            ]
        )


@dataclass(frozen=True)
class CacheMatch:
    entry_id: uuid.UUID
    similarity: float
    tier: str  # exact | semantic | near


@dataclass(frozen=True)
class CacheLookup:
    hit: CacheMatch | None
    near: CacheMatch | None


def classify(similarity: float, request_text: str, cached_text: str, settings: Settings) -> str | None:
    """'semantic' (a hit), 'near' (usable only as a fallback) or None, for two requests in one scope."""
    if similarity < settings.semantic_cache_near_threshold or not compatible(request_text, cached_text):
        return None
    return "semantic" if similarity >= settings.semantic_cache_threshold else "near"


class SemanticCache:
    def __init__(self, settings: Settings, session_factory: async_sessionmaker[AsyncSession]):
        self._settings = settings
        self._sessions = session_factory

    async def lookup(self, scope: CacheScope, request_text: str, vector: list[float]) -> CacheLookup:
        async with self._sessions.begin() as session:
            exact = await session.scalar(
                select(SemanticCacheEntry.id).where(
                    SemanticCacheEntry.scope_key == scope.key,
                    func.lower(SemanticCacheEntry.request_text) == request_text.lower(),
                    SemanticCacheEntry.expires_at > func.now(),
                )
            )
            if exact is not None:
                return CacheLookup(hit=CacheMatch(exact, 1.0, "exact"), near=None)
            # A wider HNSW candidate list, so the scope filter applied after the index scan
            # still leaves the true nearest entries.
            await session.execute(text("SET LOCAL hnsw.ef_search = 200"))
            distance = SemanticCacheEntry.embedding.cosine_distance(vector)
            rows = (
                await session.execute(
                    select(SemanticCacheEntry.id, SemanticCacheEntry.request_text, distance.label("distance"))
                    .where(SemanticCacheEntry.scope_key == scope.key, SemanticCacheEntry.expires_at > func.now())
                    .order_by(distance)
                    .limit(_CANDIDATES)
                )
            ).all()
        hit = near = None
        for row in rows:
            similarity = 1.0 - float(row.distance)
            match classify(similarity, request_text, row.request_text, self._settings):
                case "semantic":
                    hit = hit or CacheMatch(row.id, similarity, "semantic")
                case "near":
                    near = near or CacheMatch(row.id, similarity, "near")
        return CacheLookup(hit=hit, near=None if hit else near)

    async def load(self, entry_id: uuid.UUID, *, count_hit: bool) -> SemanticCacheEntry | None:
        async with self._sessions.begin() as session:
            if count_hit:
                await session.execute(
                    update(SemanticCacheEntry)
                    .where(SemanticCacheEntry.id == entry_id)
                    .values(hits=SemanticCacheEntry.hits + 1)
                )
            return await session.get(SemanticCacheEntry, entry_id)

    async def store(
        self, scope: CacheScope, request_text: str, vector: list[float], response: dict, model: str
    ) -> None:
        """`model` is the model that wrote `response` (the fallback's, when it stood in): the scope
        says which requests may share the entry, not who produced it."""
        expires = datetime.now(UTC) + timedelta(days=self._settings.semantic_cache_ttl_days)
        statement = insert(SemanticCacheEntry).values(
            scope_key=scope.key,
            request_text=request_text,
            embedding=vector,
            response=response,
            model=model,
            prompt_version=scope.prompt_version,
            expires_at=expires,
        )
        # A retried store (or a concurrent one) refreshes the entry instead of adding a twin.
        statement = statement.on_conflict_do_update(
            index_elements=["scope_key", "request_text"],
            set_={
                "response": statement.excluded.response,
                "model": statement.excluded.model,
                "expires_at": statement.excluded.expires_at,
            },
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)
