"""The tutor chat's evaluation set (run by bench/chat_bench.py) is what it claims to be."""

from __future__ import annotations

import json
import re
from pathlib import Path

DATA = Path(__file__).parent / "data"


def test_the_evaluation_set_covers_answerable_and_unanswerable_questions_over_its_document():
    items = [json.loads(line) for line in (DATA / "chat_eval.jsonl").read_text().splitlines() if line.strip()]
    headings = set(re.findall(r"^## (.+)$", (DATA / "chat_eval_document.md").read_text(), flags=re.MULTILINE))
    answerable = [i for i in items if i["answerable"]]
    assert len(items) >= 40 and len(answerable) >= 25 and len(items) - len(answerable) >= 10
    assert {i["heading"] for i in answerable} == headings  # every section is asked about
    assert all(i["heading"] is None for i in items if not i["answerable"])
    assert len({i["question"] for i in items}) == len(items)
