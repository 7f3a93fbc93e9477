"""How long each kind of work usually takes, from the LLM ledger: for the latest pieces of work of
a kind (a course's outline, a topic's notes, a flashcard set, a quiz, a remediation plan), the
span from its first call's start to its last call's end — retries and repair rounds included —
and the median of those spans. Work done without a model (the extractive engine, a cache hit)
leaves no span; a kind with too few recent samples has no estimate rather than a guess."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# The ledger's purpose for each kind of work the app waits on.
PURPOSES = {
    "course": "course_outline",
    "notes": "topic_notes",
    "flashcards": "flashcards",
    "quiz": "quiz",
    "remediation": "remediation",
}
RECENT = 20  # pieces of work per kind
MIN_SAMPLES = 3
WINDOW_DAYS = 14

_SPANS = text(
    """
    WITH spans AS (
        SELECT purpose, subject_id,
               max(created_at) AS finished,
               extract(epoch FROM max(created_at) - min(created_at - make_interval(secs => latency_ms / 1000.0)))
                 AS seconds
          FROM llm_calls
         WHERE purpose = ANY(:purposes) AND subject_id IS NOT NULL AND provider <> 'none'
           AND created_at > now() - make_interval(days => :window_days)
         GROUP BY purpose, subject_id
        HAVING bool_or(outcome = 'ok')
    ), recent AS (
        SELECT purpose, seconds, row_number() OVER (PARTITION BY purpose ORDER BY finished DESC) AS rn
          FROM spans
    )
    SELECT purpose, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median, count(*) AS samples
      FROM recent WHERE rn <= :recent
     GROUP BY purpose
    """
)


async def typical_seconds(session: AsyncSession) -> dict[str, tuple[float, int]]:
    """Kind of work → (median seconds, samples), for the kinds with enough recent samples."""
    rows = await session.execute(
        _SPANS, {"purposes": list(PURPOSES.values()), "recent": RECENT, "window_days": WINDOW_DAYS}
    )
    by_purpose = {row.purpose: (float(row.median), int(row.samples)) for row in rows}
    return {
        kind: by_purpose[purpose]
        for kind, purpose in PURPOSES.items()
        if purpose in by_purpose and by_purpose[purpose][1] >= MIN_SAMPLES
    }
