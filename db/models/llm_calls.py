from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at, uuid_pk


class LlmCall(Base):
    """Ledger of every model call.

    A successful call made under an idempotency key keeps its reply, so an activity retried after
    a crash reuses the persisted reply instead of paying for the call again.
    """

    __tablename__ = "llm_calls"
    __table_args__ = (
        Index(
            "uq_llm_calls_idempotency_key_ok",
            "idempotency_key",
            unique=True,
            postgresql_where=text("outcome = 'ok'"),
        ),
        # A learner's spend this month is one index range scan.
        Index("ix_llm_calls_user_id_created_at", "user_id", "created_at"),
        # A day's spend across learners, for the analytics rollup and today's live figures.
        Index("ix_llm_calls_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    purpose: Mapped[str] = mapped_column(String(64), index=True)
    provider: Mapped[str] = mapped_column(String(16))  # primary | fallback | none
    model: Mapped[str] = mapped_column(String(200))
    prompt_version: Mapped[str | None] = mapped_column(String(32))
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    cache_tier: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    subject_id: Mapped[str | None] = mapped_column(String(100), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(300))
    response_text: Mapped[str | None] = mapped_column(Text)
    # Whose monthly budget paid for it; kept (as NULL) when the learner's account is erased.
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Priced when written, from LLM_PRICES: what the call cost at the prices of its day.
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 6), server_default="0")
    created_at: Mapped[datetime] = created_at()
