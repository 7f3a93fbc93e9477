"""How well does the extractive engine (no model) serve a learner's own documents? Over the 12
evaluation documents (tests/data/documents: PDFs with and without bookmarks, DOCX, HTML, Markdown,
a VTT lecture), in process, with the product's readers, chunking, MiniLM embeddings, extractive
rules and quality gate:

- outline: the chapter and topic titles found vs the document's real ones (precision, recall);
- cards and questions: the share served whose answer text occurs in the passage it cites (goal
  100 %), and the share the quality gate flagged (dropped, or flagged `ungrounded`);
- tutor: each document's questions answered with a correct citation (a quoted passage holding the
  labelled answer) and unanswerable ones refused; and `tests/data/chat_eval.jsonl` answered by the
  extractive engine vs (`--bundled`) the bundled model through the LLM engine, on the same excerpts.

Retrieval here is vector-only over the document's chunks (cosine ≥ TUTOR_MIN_SIMILARITY, top 6);
the product fuses it with full-text search in Postgres.

Run: `.venv/bin/python -m bench.offline_bench [--bundled]` (about 2 minutes; `--bundled` starts the
local model and adds ~47 questions through it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from activities.chunking import chunk_text
from activities.embedders.local import shared_local_embedder
from activities.sources.extracted import ReadLimits
from activities.sources.readers import reader_for
from studyflow.content_rules.item_flaws import Flaw
from studyflow.content_rules.quality_gate import blocking, findings, texts_to_embed
from studyflow.extractive.answers import BUNDLED_MODEL, choose
from studyflow.extractive.centrality import most_similar, ranked
from studyflow.extractive.outline import Passage, document_outline
from studyflow.extractive.salience import key_terms
from studyflow.extractive.sentences import plain, sentences_of
from studyflow.extractive.study_set import TopicMaterial, study_set
from studyflow.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "tests" / "data" / "documents"
FORMATS = {"pdf_bookmarks": "pdf", "pdf_plain": "pdf", "docx": "docx", "html": "html", "markdown": "markdown",
           "vtt": "transcript"}  # fmt: skip
TOP_K = 6


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", plain(text).casefold()).split())


def pr(found: list[str], real: list[str]) -> tuple[int, int, int]:
    """(matched, found, real) with titles compared after normalising case and punctuation."""
    real_keys = Counter(norm(t) for t in real)
    hits = 0
    for title in found:
        key = norm(title)
        if real_keys[key] > 0:
            real_keys[key] -= 1
            hits += 1
    return hits, len(found), len(real)


def ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "n/a"


async def _passages(embedder, path: Path, fmt: str) -> list[Passage]:
    extracted = reader_for(fmt)(path, (0, 10_000), ReadLimits(10, 200 * 2**20))
    pieces = [(s.locator, text) for s in extracted.sections for text in chunk_text(s.text)]
    vectors = await embedder.embed([text for _, text in pieces])
    return [Passage(str(i), loc, text, vec) for i, ((loc, text), vec) in enumerate(zip(pieces, vectors, strict=True))]


def _retrieve(passages: list[Passage], vector: list[float], threshold: float) -> list[Passage]:
    scores = most_similar(vector, [p.vector for p in passages])
    order = sorted(range(len(passages)), key=lambda i: -scores[i])[:TOP_K]
    return [passages[i] for i in order if scores[i] >= threshold]


async def _extractive_answer(embedder, question: str, vector, found: list[Passage]) -> list[Passage]:
    """The passages an extractive answer quotes (as the product's `_quote_material` picks them)."""
    shown = found[:3]
    sentences = sentences_of([(p.text, [p.locator.get("heading") or ""]) for p in shown])
    if not sentences:
        return shown[:1]
    similarity = most_similar(vector, await embedder.embed([s.text for s in sentences]))
    return [shown[c.sentence.passage] for c in choose(question, sentences, similarity)]


async def run(bundled: bool, chat_only: bool = False) -> None:
    settings = Settings(_env_file=None)
    threshold = settings.tutor_min_similarity
    embedder = shared_local_embedder()
    if chat_only:
        await _chat_eval(embedder, threshold, bundled)
        return
    sys.path.insert(0, str(DOCUMENTS))
    from build import build  # noqa: PLC0415 (the corpus's own renderer)

    manifest = [json.loads(line) for line in (DOCUMENTS / "manifest.jsonl").read_text().splitlines() if line.strip()]
    totals = Counter()
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for entry in manifest:
            path = build(entry["slug"], tmp)
            passages = await _passages(embedder, path, FORMATS[entry["kind"]])
            plan = document_outline([passages], entry["title"])
            chapters = pr([c.title for c in plan.chapters], [c["title"] for c in entry["chapters"]])
            real_topics = [t for c in entry["chapters"] for t in c["topics"]]
            topics = pr([t.title for c in plan.chapters for t in c.topics], real_topics) if real_topics else None

            by_id = {p.chunk_id: p for p in passages}
            materials, sentence_chunks = [], {}
            n = 0
            for chapter in plan.chapters:
                for topic in chapter.topics:
                    n += 1
                    chunks = [by_id[i] for i in topic.chunk_ids]
                    sentences = sentences_of(
                        [(c.text, [c.locator.get("heading") or "", c.locator.get("chapter") or ""]) for c in chunks]
                    )
                    vectors = await embedder.embed([s.text for s in sentences]) if sentences else []
                    text = " ".join(s.text for s in sentences)
                    materials.append(
                        TopicMaterial(f"T{n}", sentences, ranked(vectors), key_terms(text, top=20), topic.title)
                    )
                    sentence_chunks[f"T{n}"] = chunks
            item_stats = Counter()
            for kind, size in (("flashcards", 12), ("quiz", 8)):
                made = study_set(kind, materials, size)
                excerpts = {}
                for item in made:
                    chunk = sentence_chunks[item.record["topic_ref"]][item.sentence.passage]
                    excerpts[chunk.chunk_id] = chunk.vector
                plans = [texts_to_embed(kind, m.record, grounding=True) for m in made]
                flat_vectors = iter(await embedder.embed([t for p in plans for t in p]) if plans else [])
                for item, plan_texts in zip(made, plans, strict=True):
                    found = findings(
                        kind, item.record, [next(flat_vectors) for _ in plan_texts], list(excerpts.values())
                    )
                    chunk = sentence_chunks[item.record["topic_ref"]][item.sentence.passage]
                    answer = (
                        item.record["back"]
                        if kind == "flashcards"
                        else item.record["options"][item.record["answer_index"]]
                    )
                    item_stats[f"{kind}_made"] += 1
                    if blocking(found):
                        item_stats[f"{kind}_dropped"] += 1
                        for f in blocking(found):
                            item_stats[f"drop:{f.flaw.value}"] += 1
                        continue
                    item_stats[f"{kind}_served"] += 1
                    if any(f.flaw == Flaw.UNGROUNDED for f in found):
                        item_stats[f"{kind}_ungrounded"] += 1
                    if norm(answer.rstrip(".")) in norm(chunk.text):
                        item_stats[f"{kind}_answer_in_passage"] += 1

            tutor = Counter()
            for question in entry["questions"]:
                [vector] = await embedder.embed([question["question"]])
                found = _retrieve(passages, vector, threshold)
                if not question.get("answerable"):
                    tutor["unanswerable"] += 1
                    tutor["refused"] += not found
                    continue
                tutor["answerable"] += 1
                if not found:
                    continue
                tutor["answered"] += 1
                quoted = await _extractive_answer(embedder, question["question"], vector, found)
                quote = norm(question["answer_quote"])
                if any(
                    quote[:60] in norm(p.text)
                    or question["section"] in (p.locator.get("heading"), p.locator.get("chapter"))
                    for p in quoted
                ):
                    tutor["correct"] += 1
            totals.update(item_stats)
            totals.update({f"tutor_{k}": v for k, v in tutor.items()})
            for key, value in zip(("ch_hit", "ch_found", "ch_real"), chapters, strict=True):
                totals[key] += value
            if topics:
                for key, value in zip(("tp_hit", "tp_found", "tp_real"), topics, strict=True):
                    totals[key] += value
            rows.append((entry["slug"], entry["kind"], chapters, topics, item_stats, tutor))

    print(f"\noffline bench: {len(rows)} documents, extractive engine, {time.perf_counter() - started:.0f}s\n")
    print(
        f"{'document':<22}{'kind':<15}{'chapters P/R':>14}{'topics P/R':>13}{'cards':>8}{'questions':>11}{'tutor':>9}"
    )
    for slug, kind, ch, tp, items, tutor in rows:
        topics_cell = f"{ratio(tp[0], tp[1])}/{ratio(tp[0], tp[2])}" if tp else "—"
        print(
            f"{slug:<22}{kind:<15}{ratio(ch[0], ch[1]) + '/' + ratio(ch[0], ch[2]):>14}{topics_cell:>13}"
            f"{items['flashcards_served']:>5}/12{items['quiz_served']:>8}/8"
            f"{tutor['correct']:>6}/{tutor['answerable']}"
        )
    t = totals
    print("\ntotals")
    print(
        f"  outline chapters: precision {ratio(t['ch_hit'], t['ch_found'])}, recall {ratio(t['ch_hit'], t['ch_real'])}"
    )
    print(f"  outline topics (documents with labelled topics): precision {ratio(t['tp_hit'], t['tp_found'])}, "
          f"recall {ratio(t['tp_hit'], t['tp_real'])}")  # fmt: skip
    for kind in ("flashcards", "quiz"):
        made, served = t[f"{kind}_made"], t[f"{kind}_served"]
        print(
            f"  {kind}: {made} made, {served} served; answer in the cited passage {t[f'{kind}_answer_in_passage']}/"
            f"{served} ({ratio(t[f'{kind}_answer_in_passage'], served)}); flagged by the gate: dropped "
            f"{t[f'{kind}_dropped']}/{made} ({ratio(t[f'{kind}_dropped'], made)}), ungrounded "
            f"{t[f'{kind}_ungrounded']}/{served}"
        )
    drops = ", ".join(f"{k[5:]} ×{v}" for k, v in sorted(t.items()) if k.startswith("drop:")) or "none"
    print(f"  dropped for: {drops}")
    print(
        f"  tutor (documents' questions): {t['tutor_correct']}/{t['tutor_answerable']} answerable answered with a "
        f"correct citation ({ratio(t['tutor_correct'], t['tutor_answerable'])}); {t['tutor_refused']}/"
        f"{t['tutor_unanswerable']} unanswerable refused"
    )
    await _chat_eval(embedder, threshold, bundled)


async def _chat_eval(embedder, threshold: float, bundled: bool) -> None:
    """tests/data/chat_eval.jsonl: extractive answers vs the bundled model's, on the same excerpts."""
    questions = [json.loads(line) for line in (ROOT / "tests/data/chat_eval.jsonl").read_text().splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chat_eval_document.md"
        path.write_bytes((ROOT / "tests/data/chat_eval_document.md").read_bytes())
        passages = await _passages(embedder, path, "markdown")
    model = await _BundledModel.start() if bundled else None
    counts = Counter()
    try:
        for item in questions:
            [vector] = await embedder.embed([item["question"]])
            found = _retrieve(passages, vector, threshold)
            key = "answerable" if item["answerable"] else "unanswerable"
            counts[key] += 1
            if not found:
                counts[f"{key}_refused"] += 1
                continue
            quoted = await _extractive_answer(embedder, item["question"], vector, found)
            if item["answerable"] and any(p.locator.get("heading") == item["heading"] for p in quoted):
                counts["extractive_correct"] += 1
            if model is not None and item["answerable"]:
                cited, answerable = await model.answer(item["question"], found)
                counts["model_answered"] += answerable
                if answerable and any(
                    found[n - 1].locator.get("heading") == item["heading"] for n in cited if 0 < n <= len(found)
                ):
                    counts["model_correct"] += 1
    finally:
        if model is not None:
            model.stop()
    print(
        f"\nchat_eval ({counts['answerable']} answerable, {counts['unanswerable']} not): retrieval refused "
        f"{counts['unanswerable_refused']}/{counts['unanswerable']} unanswerable "
        f"(and {counts['answerable_refused']} answerable)"
    )
    correct = f"{counts['extractive_correct']}/{counts['answerable']}"
    print(f"  extractive engine: {correct} answered with a correct citation ({BUNDLED_MODEL!r} + the quoted sentences)")
    if bundled:
        print(f"  bundled model, LLM engine: {counts['model_correct']}/{counts['answerable']} answered with a correct "
              f"citation ({counts['model_answered']} answered at all; the rest declined)")  # fmt: skip


class _BundledModel:
    """SmolLM2-135M through the product's gateway and tutor prompt, with its local settings."""

    def __init__(self, server, gateway) -> None:
        self._server, self._gateway = server, gateway

    @classmethod
    async def start(cls) -> _BundledModel:
        import httpx  # noqa: PLC0415

        from activities.llm.gateway import LlmGateway  # noqa: PLC0415
        from bench.local_model_bench import _NoLedger  # noqa: PLC0415
        from bench.stack import free_port  # noqa: PLC0415
        from cli import local_llm  # noqa: PLC0415

        port = free_port()
        server = local_llm.start_server(port, Path(tempfile.gettempdir()) / f"offline-bench-{port}.log")
        for _ in range(240):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                await asyncio.sleep(0.5)
        env = {k.lower(): v for k, v in local_llm.LOCAL_ENV.items()}
        settings = Settings(_env_file=None, openai_base_url=f"http://127.0.0.1:{port}/v1", **env)
        return cls(server, LlmGateway(settings, _NoLedger()))

    async def answer(self, question: str, found: list[Passage]) -> tuple[list[int], bool]:
        from activities.llm import prompts  # noqa: PLC0415
        from activities.llm.errors import LlmOutputInvalidError, LlmUnavailableError  # noqa: PLC0415
        from studyflow.contracts.llm_drafts import TutorAnswerDraft  # noqa: PLC0415

        excerpts = [f"notes.md, § {p.locator.get('heading')}: {p.text}" for p in found]
        try:
            draft = (
                await self._gateway.generate(
                    prompts.tutor_answer(question, excerpts, [], few_shot=True), TutorAnswerDraft
                )
            ).value
        except (LlmOutputInvalidError, LlmUnavailableError):
            return [], False
        return list(draft.citations), bool(draft.answerable and draft.answer.strip())

    def stop(self) -> None:
        self._server.terminate()
        self._server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundled", action="store_true", help="also ask chat_eval through the bundled model")
    parser.add_argument("--chat-only", action="store_true", help="only the chat_eval part")
    args = parser.parse_args()
    asyncio.run(run(args.bundled, args.chat_only))


if __name__ == "__main__":
    main()
