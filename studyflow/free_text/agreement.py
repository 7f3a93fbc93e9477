"""Agreement between two markers: quadratic weighted kappa and exact agreement, with no
dependency beyond the standard library (the product ships no scikit-learn)."""

from __future__ import annotations

from collections.abc import Sequence

# Totals in [0, 1] banded to the nearest quarter: five ordinal levels (tests/data/short_answers.md
# leaves the banding open; this is the one every figure here uses).
BANDS = 5


def band(total: float, bands: int = BANDS) -> int:
    return int(round(max(0.0, min(1.0, total)) * (bands - 1)))


def quadratic_weighted_kappa(a: Sequence[int], b: Sequence[int], levels: int) -> float:
    """Cohen's kappa with quadratic weights over ordinal levels 0..levels-1. 1 when both markers
    agree on everything (including the degenerate case of one level used by both)."""
    n = len(a)
    if n == 0:
        return float("nan")
    observed = [[0.0] * levels for _ in range(levels)]
    for x, y in zip(a, b, strict=True):
        observed[x][y] += 1
    row = [sum(observed[i]) for i in range(levels)]
    col = [sum(observed[i][j] for i in range(levels)) for j in range(levels)]
    num = den = 0.0
    for i in range(levels):
        for j in range(levels):
            weight = (i - j) ** 2 / (levels - 1) ** 2
            num += weight * observed[i][j]
            den += weight * row[i] * col[j] / n
    return 1.0 - num / den if den else 1.0


def exact_agreement(a: Sequence[int], b: Sequence[int]) -> float:
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a) if a else float("nan")


def point_level(score: float) -> int:
    """A point's 0 / 0.5 / 1 as an ordinal level 0-2 (for per-point kappa)."""
    return int(round(score * 2))
