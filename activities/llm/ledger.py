"""Writes the `llm_calls` ledger and finds replies already paid for (idempotency)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.llm.call_metrics import count_llm_call
from db.llm_spend import add_spend, month_of
from db.models import LlmCall
from studyflow.llm_prices import LlmPrice, call_cost


@dataclass(frozen=True)
class LedgerEntry:
    purpose: str
    provider: str
    model: str
    latency_ms: int
    outcome: str
    prompt_version: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cache_tier: str | None = None
    error: str | None = None
    subject_id: str | None = None
    idempotency_key: str | None = None
    response_text: str | None = None
    user_id: uuid.UUID | None = None


class LlmLedger:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        prices: dict[str, LlmPrice] | None = None,
        day_timezone: str = "UTC",
    ):
        self._sessions = session_factory
        self._prices = prices or {}
        self._day_timezone = day_timezone

    async def record(self, entry: LedgerEntry) -> None:
        values = {k: v for k, v in entry.__dict__.items()}
        values["cost_usd"] = call_cost(self._prices, entry.model, entry.prompt_tokens, entry.completion_tokens)
        if values["error"]:
            values["error"] = values["error"][:2000]
        statement = insert(LlmCall).values(**values)
        if entry.idempotency_key and entry.outcome == "ok":
            # A concurrent duplicate (should not happen) keeps the first reply.
            statement = statement.on_conflict_do_nothing(
                index_elements=["idempotency_key"], index_where=LlmCall.outcome == "ok"
            )
        async with self._sessions.begin() as session:
            written = await session.scalar(statement.returning(LlmCall.id))
            # The learner's month counter moves with the row: only a row actually written counts
            # (a duplicate reply kept the first one and its cost).
            if written is not None and entry.user_id is not None:
                await add_spend(session, entry.user_id, month_of(self._day_timezone), values["cost_usd"])
        count_llm_call(
            entry.purpose,
            entry.provider,
            entry.outcome,
            entry.latency_ms,
            entry.prompt_tokens,
            entry.completion_tokens,
            values["cost_usd"],
        )

    async def persisted_reply(self, idempotency_key: str) -> LlmCall | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(LlmCall).where(LlmCall.idempotency_key == idempotency_key, LlmCall.outcome == "ok")
            )

    async def reject(self, idempotency_keys: list[str]) -> None:
        """Replies paid for but not served (what they made failed the product's checks): they stay
        in the ledger with their cost, as `rejected`, and a retry no longer reuses them."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(LlmCall)
                .where(LlmCall.idempotency_key.in_(idempotency_keys), LlmCall.outcome == "ok")
                .values(outcome="rejected")
            )
