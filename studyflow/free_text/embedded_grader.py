"""The grader that needs no LLM: per rubric point, the answer's best-matching pieces by embedding
similarity, word overlap, and cues for negation and opposites, turned into probabilities of 0,
0.5 and 1 by two logistic models (P(score ≥ 0.5), P(score = 1)) fitted on the tuning part of
the labelled set (`python -m bench.grading_bench --fit`). The answer's total is the most likely
band of the distribution those probabilities give; its confidence is that band's probability.

Two steps so the caller owns embedding: `texts_to_embed` lists what to embed, `grade` reads the
vectors back in that order."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from studyflow.free_text import cues
from studyflow.free_text.agreement import BANDS, band
from studyflow.free_text.embedded_model import MODEL
from studyflow.free_text.rubric import POINT_SCORES, RubricPoint, total
from studyflow.free_text.spans import sentence_of, spans

FEATURES = (
    "sim_point",  # best cosine between the point's text and a piece of the answer
    "sim_quote",  # the same with the excerpt the point quotes
    "overlap",  # share of the point's own words (not the question's) the answer uses
    "flipped",  # the best piece has the other polarity (a negation or an opposite)
    "sim_model",  # cosine between the whole answer and the model answer
    "sim_stem",  # cosine between the whole answer and the question (copying it earns nothing)
    "words",  # log of the answer's length in words
    "margin",  # how much better this point matches than the answer's best match to any other point
)


@dataclass(frozen=True)
class Item:
    question: str
    model_answer: str
    rubric: list[RubricPoint]


@dataclass(frozen=True)
class PointGrade:
    point_id: str
    score: float  # 0, 0.5 or 1: the most likely
    probabilities: tuple[float, float, float]  # of 0, 0.5, 1
    confidence: float  # probability of `score`
    evidence: str  # the answer's sentence that matched best ("" when nothing did)
    similarity: float
    flipped: bool


@dataclass(frozen=True)
class AnswerGrade:
    points: list[PointGrade]
    total: float  # what the per-point scores add up to
    confidence: float  # probability that the band is right
    features: list[dict[str, float]] = field(default_factory=list)

    @property
    def scores(self) -> dict[str, float]:
        return {p.point_id: p.score for p in self.points}


def texts_to_embed(item: Item, answer: str) -> list[str]:
    """Question, model answer, whole answer, then per point its text and quote, then the pieces."""
    pieces = spans(answer)
    refs = [t for p in item.rubric for t in (p.text, p.excerpt_quote or p.text)]
    return [item.question, item.model_answer, answer or " ", *refs, *pieces]


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def features(item: Item, answer: str, vectors: list[list[float]]) -> tuple[list[dict[str, float]], list[str]]:
    """The features of every point, and the answer's piece that matched each best."""
    pieces = spans(answer)
    question_v, model_v, answer_v = vectors[0], vectors[1], vectors[2]
    ref_vs = vectors[3 : 3 + 2 * len(item.rubric)]
    piece_vs = vectors[3 + 2 * len(item.rubric) :]
    words = len(answer.split())
    sims = [[_cos(ref_vs[2 * i], pv) for pv in piece_vs] for i in range(len(item.rubric))]
    out, best_pieces = [], []
    for i, point in enumerate(item.rubric):
        quote_sims = [_cos(ref_vs[2 * i + 1], pv) for pv in piece_vs]
        if not pieces:
            out.append(dict.fromkeys(FEATURES, 0.0))
            best_pieces.append("")
            continue
        best = max(range(len(pieces)), key=lambda j: sims[i][j] + quote_sims[j])
        piece = pieces[best]
        reference = f"{point.text} {point.excerpt_quote}"
        others = [max(sims[k]) for k in range(len(item.rubric)) if k != i]
        out.append(
            {
                "sim_point": max(sims[i]),
                "sim_quote": max(quote_sims),
                "overlap": cues.overlap(point.text, answer, leave_out=item.question),
                "flipped": float(cues.polarity_differs(piece, reference) or cues.opposite_in(piece, reference)),
                "sim_model": _cos(answer_v, model_v) if words else 0.0,
                "sim_stem": _cos(answer_v, question_v) if words else 0.0,
                "words": math.log1p(words),
                "margin": max(sims[i]) - (max(others) if others else 0.0),
            }
        )
        best_pieces.append(piece)
    return out, best_pieces


def _logistic(weights: dict[str, float], x: dict[str, float]) -> float:
    z = weights["bias"] + sum(weights[name] * x[name] for name in FEATURES)
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def point_probabilities(x: dict[str, float], model: dict = MODEL) -> tuple[float, float, float]:
    at_least_half = _logistic(model["at_least_half"], x)
    full = min(_logistic(model["full"], x), at_least_half)
    return (1 - at_least_half, at_least_half - full, full)


def band_distribution(rubric: list[RubricPoint], probabilities: list[tuple[float, float, float]]) -> list[float]:
    """P(the answer's total falls in each band), the points taken as independent."""
    mass = [0.0] * BANDS
    for combo in itertools.product(range(3), repeat=len(rubric)):
        p = math.prod(probabilities[i][c] for i, c in enumerate(combo))
        scores = {point.id: POINT_SCORES[c] for point, c in zip(rubric, combo, strict=True)}
        mass[band(total(rubric, scores))] += p
    return mass


def grade(item: Item, answer: str, vectors: list[list[float]], model: dict = MODEL) -> AnswerGrade:
    if not answer.strip():
        points = [PointGrade(p.id, 0.0, (1.0, 0.0, 0.0), 1.0, "", 0.0, False) for p in item.rubric]
        return AnswerGrade(points, 0.0, 1.0)
    xs, best_pieces = features(item, answer, vectors)
    points = []
    for point, x, piece in zip(item.rubric, xs, best_pieces, strict=True):
        probs = point_probabilities(x, model)
        level = max(range(3), key=lambda c: probs[c])
        score = POINT_SCORES[level]
        points.append(
            PointGrade(
                point.id,
                score,
                probs,
                probs[level],
                sentence_of(piece, answer) if score > 0 else "",
                round(x["sim_point"], 4),
                bool(x["flipped"]),
            )
        )
    # The total shown is the one the per-point scores add up to; its confidence is the
    # probability of its band under the points' distributions.
    mass = band_distribution(item.rubric, [p.probabilities for p in points])
    answer_total = total(item.rubric, {p.point_id: p.score for p in points})
    return AnswerGrade(points, answer_total, mass[band(answer_total)], xs)
