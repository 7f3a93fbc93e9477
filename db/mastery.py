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


# --- evidence from tutoring sessions --------------------------------------------------------
#
# A concept a session's analysis found is one observation of its topic, weighted below a quiz
# answer: its move is `weight` (SESSION_EVIDENCE_WEIGHT, default 0.5) of the move one answer
# with the same outcome would make — p' = p + weight × (BKT(p, outcome) − p). Shown understanding
# is a correct answer's move, a misconception a wrong one's; `partial` (wrong first, right later in
# the session) is a wrong then a right one, both weighted. Evidence is kept per concept
# (mastery_evidence), so a topic's mastery can always be computed again from its quiz answers and
# the session evidence that remains, in time order: deleting a session (or analysing it again)
# takes exactly its contributions away.

OBSERVATIONS = {"understood": (True,), "misconception": (False,), "partial": (False, True)}


def bkt_step(p: float, correct: bool, weight: float = 1.0) -> float:
    if correct:
        posterior = (p * (1 - P_SLIP)) / (p * (1 - P_SLIP) + (1 - p) * P_GUESS)
    else:
        posterior = (p * P_SLIP) / (p * P_SLIP + (1 - p) * (1 - P_GUESS))
    after = posterior + (1 - posterior) * P_TRANSIT
    return p + weight * (after - p)


def replay(events: list[tuple[bool, float]]) -> float:
    """Mastery after these (correct, weight) observations in order, from the prior."""
    p = P_INIT
    for correct, weight in events:
        p = bkt_step(p, correct, weight)
    return p


_EVIDENCE_ROWS = text(
    """
    SELECT topic_id, observed_at, observation, weight FROM mastery_evidence
     WHERE user_id = :user_id AND topic_id::text = ANY(:topics)
    """
)


async def recompute(session: AsyncSession, user_id: uuid.UUID, topic_ids: set[uuid.UUID]) -> None:
    """Sets these topics' mastery from their quiz answers and session evidence, in time order (a
    topic with neither loses its row). The rows are locked first: an attempt committing meanwhile
    applies its own answer on top of the recomputed value (its upsert waits for the lock)."""
    if not topic_ids:
        return
    topics = sorted(str(t) for t in topic_ids)
    await session.execute(
        text("SELECT 1 FROM topic_mastery WHERE user_id = :user_id AND topic_id::text = ANY(:topics) FOR UPDATE"),
        {"user_id": user_id, "topics": topics},
    )
    events: dict[str, list] = {t: [] for t in topics}
    counts: dict[str, list[int]] = {t: [0, 0] for t in topics}
    answers = await session.execute(
        text(
            """
            SELECT item ->> 'topic_id' AS topic_id, a.created_at AS at, ord AS seq,
                   (item ->> 'correct')::boolean AS correct
              FROM quiz_attempts a, jsonb_array_elements(a.feedback) WITH ORDINALITY AS f(item, ord)
             WHERE a.user_id = :user_id AND item ->> 'topic_id' = ANY(:topics)
            """
        ),
        {"user_id": user_id, "topics": topics},
    )
    for row in answers:
        events[row.topic_id].append((row.at, 0, row.seq, [(row.correct, 1.0)]))
        counts[row.topic_id][0] += 1
        counts[row.topic_id][1] += int(row.correct)
    for row in await session.execute(_EVIDENCE_ROWS, {"user_id": user_id, "topics": topics}):
        observations = [(correct, row.weight) for correct in OBSERVATIONS[row.observation]]
        events[str(row.topic_id)].append((row.observed_at, 1, 0, observations))
    for topic, found in events.items():
        if not found:
            await session.execute(
                text("DELETE FROM topic_mastery WHERE user_id = :user_id AND topic_id = :topic"),
                {"user_id": user_id, "topic": topic},
            )
            continue
        found.sort(key=lambda e: (e[0], e[1], e[2]))
        mastery = replay([obs for event in found for obs in event[3]])
        await session.execute(
            text(
                """
                INSERT INTO topic_mastery (user_id, topic_id, mastery, answers, correct)
                VALUES (:user_id, :topic, :mastery, :answers, :correct)
                ON CONFLICT (user_id, topic_id) DO UPDATE SET mastery = excluded.mastery,
                  answers = excluded.answers, correct = excluded.correct, updated_at = now()
                """
            ),
            {
                "user_id": user_id,
                "topic": topic,
                "mastery": mastery,
                "answers": counts[topic][0],
                "correct": counts[topic][1],
            },
        )
