from __future__ import annotations

from sqlalchemy import select

from db.models import LlmCall


async def ledger_rows(session_factory, subject_id) -> list[LlmCall]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(LlmCall).where(LlmCall.subject_id == str(subject_id)).order_by(LlmCall.created_at)
        )
        return list(rows)
