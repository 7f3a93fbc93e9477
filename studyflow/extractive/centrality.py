"""Rank sentences by how central they are to their section: the sum of each sentence's cosine
similarity to the others (degree centrality over sentence embeddings, as in LexRank). The
sentence most like the rest says what the section is about."""

from __future__ import annotations

import numpy as np

# Two sentences this similar say the same thing: keep the more central one.
REDUNDANT_SIMILARITY = 0.9


def _unit(vectors: list[list[float]]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def centrality(vectors: list[list[float]]) -> list[float]:
    if not vectors:
        return []
    unit = _unit(vectors)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, 0)
    return (similarity.sum(axis=1) / max(1, len(vectors) - 1)).tolist()


def ranked(vectors: list[list[float]]) -> list[int]:
    """Sentence indexes, most central first, leaving out any that repeats a more central one."""
    if not vectors:
        return []
    unit = _unit(vectors)
    scores = centrality(vectors)
    chosen: list[int] = []
    for index in sorted(range(len(vectors)), key=lambda i: -scores[i]):
        if all(float(unit[index] @ unit[other]) < REDUNDANT_SIMILARITY for other in chosen):
            chosen.append(index)
    return chosen


def key_indexes(vectors: list[list[float]], count: int) -> list[int]:
    """The `count` most central sentences that do not repeat one another, in reading order."""
    return sorted(ranked(vectors)[:count])


def most_similar(query: list[float], vectors: list[list[float]]) -> list[float]:
    if not vectors:
        return []
    unit = _unit(vectors)
    q = np.asarray(query, dtype=np.float32)
    q = q / (np.linalg.norm(q) or 1)
    return (unit @ q).tolist()
