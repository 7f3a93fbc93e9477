"""The 1,000 texts the ONNX and torch embedders are compared on (tests/data/embedding_texts.jsonl).

Half a deterministic sample of the item sets in tests/data (the labelled questions and cards, the
cache pairs, the chat evaluation and its document), half generated texts of mixed lengths: single
words, outlines, chunk-sized passages, passages longer than the model reads (truncation), and
punctuation, accents, code and an empty string. Regenerate: `.venv/bin/python -m tests.support.embedding_texts`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
TEXTS = DATA / "embedding_texts.jsonl"
COUNT = 1000


def _item_sets() -> list[str]:
    texts: list[str] = []
    for line in (DATA / "item_flaws.jsonl").read_text().splitlines():
        item = json.loads(line)
        texts += [item.get(k) or "" for k in ("question", "front", "back", "explanation")]
        texts += item.get("options") or []
        texts += item.get("key_points") or []
    for line in (DATA / "cache_pairs.jsonl").read_text().splitlines():
        pair = json.loads(line)
        texts += [pair["a"], pair["b"]]
    for line in (DATA / "chat_eval.jsonl").read_text().splitlines():
        texts.append(json.loads(line)["question"])
    texts += [p.strip() for p in (DATA / "chat_eval_document.md").read_text().split("\n\n")]
    return [t for t in dict.fromkeys(texts) if t]


def generate() -> list[str]:
    items = _item_sets()
    words = sorted({w for t in items for w in t.split()})
    rng = random.Random(37)
    known = rng.sample(items, COUNT // 2)
    extras = [
        "",
        "café naïve résumé — “quotes” and ümlauts",
        "def f(x):\n    return x ** 2  # squares",
        "SELECT name FROM users WHERE id = 42;",
        "!!! ??? ... ---",
    ]
    lengths = [1, 2, 4, 8, 16, 32, 64, 120, 160, 240, 400]
    texts = dict.fromkeys(known + extras)
    while len(texts) < COUNT:
        texts[" ".join(rng.choice(words) for _ in range(rng.choice(lengths)))] = None
    return list(texts)


if __name__ == "__main__":
    TEXTS.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in generate()))
    print(f"wrote {COUNT} texts to {TEXTS}")
