"""Per-topic mastery with Bayesian Knowledge Tracing, updated in SQL per answer.

Each answer is one upsert whose new value is computed from the stored one inside the UPDATE, so
concurrent attempts never lose an update. P(L) is the probability the topic is mastered.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

P_INIT = 0.3  # prior before any answer
P_TRANSIT = 0.1  # chance of learning from one practice opportunity
P_SLIP = 0.1  # knows it, answers wrong
P_GUESS = 0.25  # does not know it, guesses right among 4 options

_POSTERIOR = """
    CASE WHEN :correct
      THEN ({p} * (1 - :slip)) / ({p} * (1 - :slip) + (1 - {p}) * :guess)
      ELSE ({p} * :slip) / ({p} * :slip + (1 - {p}) * (1 - :guess))
    END
"""
_NEXT = "({post}) + (1 - ({post})) * :transit"

# The upsert, and a crossing of the analytics threshold recorded in the same statement: `before`
# locks and reads the stored value (a concurrent answer waits, then reads the newer one), and the
# data-modifying CTE's RETURNING gives the new one.
_UPSERT = text(
    f"""
    WITH before AS (
        SELECT mastery FROM topic_mastery WHERE user_id = :user_id AND topic_id = :topic_id FOR UPDATE
    ), after AS (
    INSERT INTO topic_mastery (user_id, topic_id, mastery, answers, correct)
    VALUES (:user_id, :topic_id, {_NEXT.format(post=_POSTERIOR.format(p=":init"))}, 1,
            CASE WHEN :correct THEN 1 ELSE 0 END)
    ON CONFLICT (user_id, topic_id) DO UPDATE SET
      mastery = {_NEXT.format(post=_POSTERIOR.format(p="topic_mastery.mastery"))},
      answers = topic_mastery.answers + 1,
      correct = topic_mastery.correct + CASE WHEN :correct THEN 1 ELSE 0 END,
      updated_at = now()
    RETURNING mastery
    )
    INSERT INTO mastery_crossings (user_id, topic_id, mastered)
    SELECT :user_id, :topic_id, after.mastery >= :threshold
      FROM after LEFT JOIN before ON true
     WHERE (after.mastery >= :threshold) <> (coalesce(before.mastery, 0) >= :threshold)
    """
)


async def record_answer(
    session: AsyncSession, user_id: uuid.UUID, topic_id: uuid.UUID, correct: bool, threshold: float
) -> None:
    """`threshold`: ANALYTICS_MASTERY_THRESHOLD, the level counted as a concept mastered."""
    await session.execute(
        _UPSERT,
        {
            "user_id": user_id,
            "topic_id": topic_id,
            "correct": correct,
            "init": P_INIT,
            "slip": P_SLIP,
            "guess": P_GUESS,
            "transit": P_TRANSIT,
            "threshold": threshold,
        },
    )
