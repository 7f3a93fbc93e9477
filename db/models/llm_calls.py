from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, text
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
    created_at: Mapped[datetime] = created_at()
