"""Is a generated item supported by the excerpts its generation saw? (pure: vectors in, verdict out)

A question is grounded when the question stated with its correct answer is close to one of the
excerpts (cosine similarity at least `min_similarity`) and closer than the question stated with
any distractor (by more than a small margin): an excerpt that supports a wrong option better
than the right one means the key is wrong or the excerpt says something else. A card is
grounded when front and back together are close to an excerpt. With no excerpts there is
nothing to check against, and no verdict.
"""

from __future__ import annotations

from studyflow.content_rules.item_flaws import Finding, Flaw, cosine

# Chosen on the labelled set (tests/data/item_flaws.jsonl, `python -m bench.item_flaws_bench`).
DEFAULT_MIN_SIMILARITY = 0.5
# A distractor must beat the correct answer by more than this to count as better supported:
# closer claims are within the embedding's noise (the same question, one word apart).
DISTRACTOR_MARGIN = 0.05


def question_claims(question: str, options: list[str]) -> list[str]:
    """The texts whose embeddings `question_grounding` compares: the question answered by each option."""
    return [f"{question} {option}" for option in options]


def card_claim(front: str, back: str) -> str:
    return f"{front} {back}"


def _support(claim: list[float], excerpts: list[list[float]]) -> float:
    return max(cosine(claim, excerpt) for excerpt in excerpts)


def question_grounding(
    claim_vectors: list[list[float]],
    answer_index: int,
    excerpt_vectors: list[list[float]],
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
) -> Finding | None:
    if not excerpt_vectors:
        return None
    support = [_support(claim, excerpt_vectors) for claim in claim_vectors]
    correct = support[answer_index]
    if correct < min_similarity:
        return Finding(Flaw.UNGROUNDED, "no excerpt supports the correct answer: ask only what the excerpts say")
    beaten_by = [i for i, s in enumerate(support) if i != answer_index and s > correct + DISTRACTOR_MARGIN]
    if beaten_by:
        return Finding(
            Flaw.UNGROUNDED,
            f"the excerpts support option {'ABCD'[beaten_by[0]]} better than the correct answer: check the key",
        )
    return None


def card_grounding(
    claim_vector: list[float], excerpt_vectors: list[list[float]], min_similarity: float = DEFAULT_MIN_SIMILARITY
) -> Finding | None:
    if excerpt_vectors and _support(claim_vector, excerpt_vectors) < min_similarity:
        return Finding(Flaw.UNGROUNDED, "no excerpt supports this card: write cards only about what the excerpts say")
    return None
