"""How good are the quality gate's checks (issue 20)? On the labelled item set
(tests/data/item_flaws.jsonl: good items and each flaw, subtle ones included), precision and
recall per reason at the thresholds in force, then a sweep of each tunable threshold so it can be
chosen on the data, like the semantic cache's was on its pairs. Embeddings: the local MiniLM
model the product uses.

Run: `.venv/bin/python -m bench.item_flaws_bench` (about 10 s), `--mistakes` to list the items
the checks get wrong.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from dataclasses import replace

from activities.embedders.local import LocalEmbedder
from studyflow.content_rules.item_flaws import Flaw
from studyflow.content_rules.quality_gate import FLAGS_ONLY, GateThresholds
from tests.support import item_flaws as labelled

SWEEPS = {
    Flaw.NEAR_DUPLICATE_OPTIONS: ("flaws.near_duplicate_similarity", [0.84, 0.86, 0.88, 0.9, 0.92, 0.94, 0.96]),
    Flaw.LONGEST_OPTION: ("flaws.longest_ratio", [1.2, 1.3, 1.4, 1.5, 1.6, 1.8, 2.0]),
    "longest margin": ("flaws.longest_margin_chars", [0, 4, 8, 12, 16, 20]),
    Flaw.UNGROUNDED: ("grounded_similarity", [0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7]),
}


def _with(thresholds: GateThresholds, path: str, value: float) -> GateThresholds:
    if path.startswith("flaws."):
        return replace(thresholds, flaws=replace(thresholds.flaws, **{path.removeprefix("flaws."): value}))
    return replace(thresholds, **{path: value})


def _table(items, vectors, thresholds) -> dict:
    predictions = [labelled.predict(i, v, thresholds) for i, v in zip(items, vectors, strict=False)]
    return labelled.scores(items, predictions), predictions


async def main(show_mistakes: bool) -> None:
    items = labelled.load()
    kinds = Counter(i["kind"] for i in items)
    flawless = sum(1 for i in items if not i["flaws"])
    print(
        f"labelled items: {len(items)} ({', '.join(f'{n} {k}s' for k, n in kinds.items())}; {flawless} without a flaw)"
    )
    vectors = await labelled.embed(items, LocalEmbedder())
    defaults = GateThresholds()
    scores, predictions = _table(items, vectors, defaults)
    print(f"\n{'reason':30} {'labelled':>8} {'found':>6} {'precision':>9} {'recall':>7}  effect")
    for reason, s in scores.items():
        effect = (
            "flag"
            if Flaw(reason) in FLAGS_ONLY
            else "the outline keeps one"
            if Flaw(reason) is Flaw.DUPLICATE_TITLE
            else "repair, else drop"
        )
        labelled_n = s.true_positives + s.false_negatives
        found = s.true_positives + s.false_positives
        print(f"{reason:30} {labelled_n:>8} {found:>6} {s.precision:>9.2f} {s.recall:>7.2f}  {effect}")

    for swept, (path, values) in SWEEPS.items():
        flaw = swept if isinstance(swept, Flaw) else Flaw.LONGEST_OPTION
        print(f"\nsweep {path} ({flaw.value}):")
        for value in values:
            s = _table(items, vectors, _with(defaults, path, value))[0][flaw.value]
            print(
                f"  {value:>5}: precision {s.precision:.2f}  recall {s.recall:.2f}  (tp "
                f"{s.true_positives}, fp {s.false_positives}, fn {s.false_negatives})"
            )

    if show_mistakes:
        print("\nitems the checks get wrong:")
        print("\n".join(labelled.mistakes(items, predictions)) or "  none")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--mistakes", action="store_true")
    asyncio.run(main(parser.parse_args().mistakes))
