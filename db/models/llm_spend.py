from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class LlmMonthlySpend(Base):
    """A learner's LLM spend per month (DAY_TIMEZONE), kept by the ledger in the transaction that
    writes each priced call, so the budget check before a generation reads one row instead of
    summing a month of ledger rows."""

    __tablename__ = "llm_monthly_spend"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(14, 6), server_default="0")
    calls: Mapped[int] = mapped_column(Integer, server_default="0")
