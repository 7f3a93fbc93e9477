"""Choosing the confidence threshold: below it an answer goes to a human. Chosen on labelled
answers so that the answers graded automatically reach a stated agreement with the labels."""

from __future__ import annotations

from dataclasses import dataclass

from studyflow.free_text.agreement import BANDS, band, exact_agreement, quadratic_weighted_kappa

# The anchor of issue 34: human markers agree at κ 0.75 on K-12 short answers (GPT-4: 0.70).
HUMAN_KAPPA = 0.75
# Agreement drops by about 0.1 from the tuning part to unseen questions (bench/grading_bench.py):
# the threshold is chosen for κ 0.85 on the tuning part so that unseen answers keep ≈ 0.75.
TARGET_KAPPA = HUMAN_KAPPA + 0.10


@dataclass(frozen=True)
class Graded:
    """One answer: the grader's total and confidence, and the label's total."""

    total: float
    confidence: float
    label: float


@dataclass(frozen=True)
class Operating:
    threshold: float
    routed_share: float
    auto_kappa: float
    auto_exact: float
    auto_count: int


def at_threshold(graded: list[Graded], threshold: float) -> Operating:
    auto = [g for g in graded if g.confidence >= threshold]
    predicted, labels = [band(g.total) for g in auto], [band(g.label) for g in auto]
    return Operating(
        threshold=threshold,
        routed_share=1 - len(auto) / len(graded) if graded else 0.0,
        auto_kappa=quadratic_weighted_kappa(predicted, labels, BANDS) if auto else float("nan"),
        auto_exact=exact_agreement(predicted, labels) if auto else float("nan"),
        auto_count=len(auto),
    )


def choose_threshold(graded: list[Graded], target_kappa: float = TARGET_KAPPA, min_auto: int = 20) -> Operating:
    """The lowest threshold (the most answers graded automatically) whose automatic share reaches
    `target_kappa`, with at least `min_auto` answers to judge it on; if none does, the threshold
    that routes everything (1.01: every answer to a human)."""
    candidates = sorted({round(g.confidence, 3) for g in graded})
    for threshold in candidates:
        operating = at_threshold(graded, threshold)
        if operating.auto_count >= min_auto and operating.auto_kappa >= target_kappa:
            return operating
    return at_threshold(graded, 1.01)
