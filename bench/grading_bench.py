"""How well do the free-text graders agree with human marks (issue 34)? On the labelled set
(tests/data/short_answers.jsonl, 259 answers to 49 questions in 8 subjects, hand-written and
hand-marked by one author: see tests/data/short_answers.md), split by question into a tuning part
(32 questions) and a held-out part (17; every third question). For each grader: quadratic
weighted kappa and exact agreement on the totals banded to the nearest quarter (5 levels) and on
the per-point marks (3 levels), then at the confidence threshold chosen on the tuning part (the
lowest whose automatically graded answers reach κ ≥ 0.75): the share routed to a human and the
agreement on the share graded automatically — tuning and held-out figures apart.

Graders: `embedded` (MiniLM embeddings + cues, no LLM), `llm-scripted` (the LLM grader's whole
path — prompt, gateway, quote validation, second opinion — against the test suite's scripted
OpenAI server playing a deterministic word-overlap marker that also quotes the model answer
instead of the learner's on every fifth credited point, so fabricated quotes occur and are
rejected: it measures the pipeline, not a model) and `llm-bundled` (the same path against the
bundled SmolLM2-135M served by llama.cpp; needs `make local-llm`).

Run: `.venv/bin/python -m bench.grading_bench` (embedded + scripted, ~1 min);
`--bundled` adds the bundled model (~30 min on 2 cores); `--configured` the model the OPENAI_*
settings name (calls it ~260 times: the threshold for a real model is chosen this way); `--fit`
refits the embedded grader's weights on the tuning part and writes them to
studyflow/free_text/embedded_model.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import pprint
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from activities.embedders.local import LocalEmbedder
from bench.grading_data import Labelled, load, split
from studyflow.free_text import embedded_grader
from studyflow.free_text.agreement import BANDS, band, exact_agreement, point_level, quadratic_weighted_kappa
from studyflow.free_text.calibration import TARGET_KAPPA, Graded, at_threshold, choose_threshold
from studyflow.free_text.embedded_grader import FEATURES
from studyflow.settings import Settings

LLM_DEFAULT = Settings.model_fields["grading_llm_confidence_threshold"].default
MODEL_FILE = Path(__file__).resolve().parent.parent / "studyflow" / "free_text" / "embedded_model.py"


@dataclass
class Result:
    row: Labelled
    scores: dict[str, float]
    total: float
    confidence: float
    rejected_quotes: int = 0
    rejected: tuple[str, ...] = ()  # why points' LLM grades were set aside
    unusable_reply: bool = False


async def embed_rows(rows: list[Labelled], embedder) -> list[list[list[float]]]:
    plans = [embedded_grader.texts_to_embed(r.item, r.answer) for r in rows]
    flat = [t for plan in plans for t in plan]
    unique = list(dict.fromkeys(flat))
    vectors = dict(zip(unique, await embedder.embed(unique), strict=True))
    return [[vectors[t] for t in plan] for plan in plans]


# --- fitting the embedded grader -----------------------------------------------------------------
def _fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> np.ndarray:
    """Logistic regression by Newton's method with an L2 penalty (not on the bias)."""
    x1 = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(x1.shape[1])
    penalty = l2 * np.eye(x1.shape[1])
    penalty[0, 0] = 0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(x1 @ w, -30, 30)))
        grad = x1.T @ (p - y) + penalty @ w
        hessian = x1.T @ (x1 * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def fit(rows: list[Labelled], vectors) -> dict:
    xs, ys = [], []
    for row, v in zip(rows, vectors, strict=True):
        if not row.answer.strip():
            continue
        feats, _ = embedded_grader.features(row.item, row.answer, v)
        for point, f in zip(row.item.rubric, feats, strict=True):
            xs.append([f[name] for name in FEATURES])
            ys.append(row.scores[point.id])
    x, y = np.array(xs), np.array(ys)
    model = {}
    for name, target in (("at_least_half", y >= 0.5), ("full", y >= 1.0)):
        w = _fit_logistic(x, target.astype(float))
        model[name] = {"bias": round(float(w[0]), 4)} | {
            f: round(float(c), 4) for f, c in zip(FEATURES, w[1:], strict=True)
        }
    return model


def write_model(model: dict) -> None:
    MODEL_FILE.write_text(
        '"""Weights of the embedded grader\'s two logistic models, written by\n'
        "`python -m bench.grading_bench --fit` from the tuning part of tests/data/short_answers.jsonl\n"
        '(bench/grading_data.py: every third question is held out and never seen here)."""\n\n'
        f"MODEL: dict = {pprint.pformat(model, sort_dicts=False, width=110)}\n"
    )


# --- grading ------------------------------------------------------------------------------------
def grade_embedded(rows, vectors, model=None) -> list[Result]:
    out = []
    for row, v in zip(rows, vectors, strict=True):
        graded = embedded_grader.grade(row.item, row.answer, v, **({"model": model} if model else {}))
        out.append(Result(row, graded.scores, graded.total, graded.confidence))
    return out


async def grade_llm(rows, vectors, gateway, label: str) -> list[Result]:
    from activities.grading.llm_grader import llm_grade

    embedded = grade_embedded(rows, vectors)
    out = []
    for i, (row, emb) in enumerate(zip(rows, embedded, strict=True)):
        graded = await llm_grade(
            gateway,
            question=row.item.question,
            rubric=row.item.rubric,
            answer=row.answer,
            embedded_scores=emb.scores,
            embedded_confidence=emb.confidence,
            # Kept by the bundled model's file ledger (bench/grading_llm.py) for reruns.
            idempotency_key=f"grading-bench:{label}:{row.id}",
        )
        out.append(
            Result(
                row,
                graded.scores,
                graded.total,
                graded.confidence,
                graded.rejected_quotes,
                tuple(p.rejected for p in graded.points if p.rejected),
                graded.model == "invalid",
            )
        )
        if (i + 1) % 25 == 0:
            print(f"  {label}: {i + 1}/{len(rows)} graded", flush=True)
    return out


# --- figures ------------------------------------------------------------------------------------
def agreement(results: list[Result]) -> dict:
    predicted, labels = [band(r.total) for r in results], [band(r.row.label_total) for r in results]
    pp, pl = [], []
    for r in results:
        for point in r.row.item.rubric:
            pp.append(point_level(r.scores.get(point.id, 0)))
            pl.append(point_level(r.row.scores[point.id]))
    return {
        "kappa": quadratic_weighted_kappa(predicted, labels, BANDS),
        "exact": exact_agreement(predicted, labels),
        "point_kappa": quadratic_weighted_kappa(pp, pl, 3),
        "point_exact": exact_agreement(pp, pl),
    }


def graded(results: list[Result]) -> list[Graded]:
    return [Graded(r.total, r.confidence, r.row.label_total) for r in results]


def fmt(x: float) -> str:
    return "  —  " if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:5.2f}"


def report(name: str, tuning: list[Result], held: list[Result], product_threshold: float | None = None) -> dict:
    chosen = choose_threshold(graded(tuning))
    print(f"\n== {name} ==  threshold chosen on the tuning part: {chosen.threshold:.3f} (target κ ≥ {TARGET_KAPPA})")
    head = f"{'part':9} {'n':>4} {'κ':>6} {'exact':>6} {'pt κ':>6} {'pt ex':>6}"
    print(f"{head} │ {'routed':>7} {'auto κ':>7} {'auto ex':>7}")
    figures = {"threshold": chosen.threshold}
    for part, results in (("tuning", tuning), ("held-out", held), ("all", tuning + held)):
        a = agreement(results)
        op = at_threshold(graded(results), chosen.threshold)
        rejected = sum(r.rejected_quotes for r in results)
        print(
            f"{part:9} {len(results):4d} {fmt(a['kappa']):>6} {fmt(a['exact']):>6} {fmt(a['point_kappa']):>6} "
            f"{fmt(a['point_exact']):>6} │ {op.routed_share:7.0%} {fmt(op.auto_kappa):>7} {fmt(op.auto_exact):>7}"
            + (f"   ({rejected} quotes rejected)" if rejected else "")
        )
        figures[part] = a | {"routed": op.routed_share, "auto_kappa": op.auto_kappa, "auto_exact": op.auto_exact}
    if product_threshold is not None and abs(product_threshold - chosen.threshold) > 1e-9:
        print(f"at the product's default threshold {product_threshold:.3f} instead:")
        for part, results in (("tuning", tuning), ("held-out", held), ("all", tuning + held)):
            op = at_threshold(graded(results), product_threshold)
            auto = f"{op.routed_share:7.0%} {fmt(op.auto_kappa):>7} {fmt(op.auto_exact):>7}"
            print(f"{part:9} {len(results):4d} {'':34} │ {auto}")
            figures[f"{part}@default"] = {
                "routed": op.routed_share,
                "auto_kappa": op.auto_kappa,
                "auto_exact": op.auto_exact,
            }
    everything = tuning + held
    if any(r.rejected or r.unusable_reply for r in everything):
        points = sum(len(r.row.item.rubric) for r in everything)
        reasons = Counter(reason for r in everything for reason in r.rejected)
        unusable = sum(r.unusable_reply for r in everything)
        print(
            f"LLM replies unusable (not the schema even after the repair round): {unusable} of {len(everything)}; "
            f"points whose LLM grade was set aside: {sum(reasons.values())} of {points} "
            f"({', '.join(f'{k}: {v}' for k, v in reasons.most_common())})"
        )
        figures["set_aside"] = dict(reasons) | {"unusable_replies": unusable, "points": points}
    by_cat = defaultdict(list)
    for r in held:
        by_cat[r.row.category].append(r)
    print("held-out by category (n, exact band agreement, mean |Δ total|):")
    for cat, rs in sorted(by_cat.items()):
        ex = exact_agreement([band(r.total) for r in rs], [band(r.row.label_total) for r in rs])
        gap = sum(abs(r.total - r.row.label_total) for r in rs) / len(rs)
        print(f"  {cat:25} {len(rs):3d} {ex:5.2f} {gap:5.2f}")
    return figures


async def main(args) -> None:
    rows = load()
    tuning, held = split(rows)
    print(
        f"labelled answers: {len(rows)} ({len({r.question_id for r in rows})} questions); tuning {len(tuning)} "
        f"answers / {len({r.question_id for r in tuning})} questions, held out {len(held)} / "
        f"{len({r.question_id for r in held})}. Hand-written set, one author and marker (no inter-rater figure)."
    )
    print("κ: quadratic weighted kappa on totals banded to the nearest 0.25 (5 levels); pt: per-point 0/0.5/1.")
    embedder = LocalEmbedder()
    tv, hv = await embed_rows(tuning, embedder), await embed_rows(held, embedder)
    if args.fit:
        model = fit(tuning, tv)
        write_model(model)
        print(f"fitted on the tuning part and written to {MODEL_FILE.name}:")
        print(json.dumps(model, indent=1))
    from studyflow.free_text import embedded_model

    model = fit(tuning, tv) if args.fit else embedded_model.MODEL
    figures = {
        "embedded": report(
            "embedded grader (no LLM)", grade_embedded(tuning, tv, model), grade_embedded(held, hv, model)
        )
    }
    if not args.embedded_only:
        from bench.grading_llm import bundled_gateway, scripted_gateway

        async with scripted_gateway() as gateway:
            figures["llm-scripted"] = report(
                "LLM grader, scripted model (word-overlap marker, every 5th credited quote fabricated)",
                await grade_llm(tuning, tv, gateway, "scripted"),
                await grade_llm(held, hv, gateway, "scripted"),
                LLM_DEFAULT,
            )
        if args.configured:
            from bench.grading_llm import configured_gateway

            async with configured_gateway() as (gateway, model):
                figures["llm-configured"] = report(
                    f"LLM grader, the configured model ({model})",
                    await grade_llm(tuning, tv, gateway, model),
                    await grade_llm(held, hv, gateway, model),
                    LLM_DEFAULT,
                )
        if args.bundled:
            async with bundled_gateway() as gateway:
                if gateway is None:
                    print("\n== LLM grader, bundled model ==  not run: no llama-cpp-python (make local-llm)")
                else:
                    figures["llm-bundled"] = report(
                        "LLM grader, bundled model (SmolLM2-135M, llama.cpp)",
                        await grade_llm(tuning, tv, gateway, "bundled"),
                        await grade_llm(held, hv, gateway, "bundled"),
                        LLM_DEFAULT,
                    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fit", action="store_true", help="refit the embedded grader on the tuning part and save it")
    parser.add_argument("--embedded-only", action="store_true")
    parser.add_argument("--bundled", action="store_true", help="also grade with the bundled local model")
    parser.add_argument(
        "--configured",
        action="store_true",
        help="also grade with the model OPENAI_* configure (to choose GRADING_LLM_CONFIDENCE_THRESHOLD for it)",
    )
    parser.add_argument("--json", help="write the figures to this file")
    asyncio.run(main(parser.parse_args()))
