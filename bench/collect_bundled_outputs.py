"""Collect what the bundled model (SmolLM2-135M) really writes, through the product's own prompts
and gateway settings, over bare topics (bench/local_topics.txt) and over the evaluation documents
(tests/data/documents) as the learner's material: outlines, notes, flashcards, quizzes,
remediation plans and tutor answers. Each text a learner would read becomes one unit of
`tests/data/bundled_outputs.raw.jsonl` (origin, kind, field, text); labels
are added by reading them (`tests/data/bundled_outputs.jsonl`, see bench/bundled_outputs_bench.py).

Run: `.venv/bin/python -m bench.collect_bundled_outputs [--topics 8] [--documents 12]` (needs the
`local-llm` extra; about 30-40 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from activities.chunking import chunk_text
from activities.llm import prompts
from activities.llm.errors import LlmOutputInvalidError, LlmUnavailableError
from activities.llm.gateway import LlmGateway
from activities.sources.extracted import ReadLimits
from activities.sources.readers import reader_for
from bench.local_model_bench import _NoLedger
from bench.stack import free_port
from cli import local_llm
from studyflow.contracts.llm_drafts import (
    CourseOutlineDraft,
    FlashcardSetDraft,
    QuizDraft,
    RemediationDraft,
    TopicNotesDraft,
    TutorAnswerDraft,
)
from studyflow.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TOPICS = Path(__file__).with_name("local_topics.txt")
DOCUMENTS = ROOT / "tests" / "data" / "documents"
OUT = ROOT / "tests" / "data" / "bundled_outputs.raw.jsonl"
FORMATS = {"pdf_bookmarks": "pdf", "pdf_plain": "pdf", "docx": "docx", "html": "html", "markdown": "markdown",
           "vtt": "transcript"}  # fmt: skip


def units_of(kind: str, value) -> list[tuple[str, str]]:
    """(field, text) for every text a learner would read in one reply."""
    if kind == "course_outline":
        out = [("title", value.title)]
        for chapter in value.chapters:
            out.append(("chapter_title", chapter.title))
            for topic in chapter.topics:
                out += [("topic_title", topic.title), ("topic_summary", topic.summary)]
        return out
    if kind == "topic_notes":
        return (
            [("explanation", value.explanation), ("example", value.example)]
            + [("key_point", p) for p in value.key_points]
            + [("interview_question", q) for q in value.interview_questions]
        )
    if kind == "flashcards":
        return [(f, getattr(c, f)) for c in value.cards for f in ("front", "back")]
    if kind in ("quiz", "remediation"):
        questions = value.questions if kind == "quiz" else value.practice_questions
        out = (
            [("explanation", value.explanation)] + [("key_point", p) for p in value.key_points]
            if kind == "remediation"
            else []
        )
        for q in questions:
            out += [("question", q.question), ("answer", q.answer), ("question_explanation", q.explanation)]
            out += [("option", o) for o in q.options] + [("question_key_point", p) for p in q.key_points]
        return out
    if kind == "tutor_answer":
        return [("answer", value.answer)]
    return []


def _document(entry: dict, built: Path) -> tuple[list[tuple[dict, str]], dict]:
    extracted = reader_for(FORMATS[entry["kind"]])(built, (0, 10_000), ReadLimits(10, 200 * 2**20))
    chunks = [(s.locator, text) for s in extracted.sections for text in chunk_text(s.text)]
    return chunks, entry


async def collect(topic_limit: int, document_limit: int) -> None:
    sys.path.insert(0, str(DOCUMENTS))
    from build import build  # noqa: PLC0415 (the corpus's own renderer)

    manifest = [json.loads(line) for line in (DOCUMENTS / "manifest.jsonl").read_text().splitlines() if line.strip()]
    topics = [t.strip() for t in TOPICS.read_text().splitlines() if t.strip()][:topic_limit]
    port = free_port()
    written = 0
    with tempfile.TemporaryDirectory() as tmp, OUT.open("w") as out:
        server = local_llm.start_server(port, Path(tmp) / "server.log")
        try:
            for _ in range(240):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.5)
            env = {k.lower(): v for k, v in local_llm.LOCAL_ENV.items()}
            settings = Settings(_env_file=None, openai_base_url=f"http://127.0.0.1:{port}/v1", **env)
            gateway = LlmGateway(settings, _NoLedger())

            async def run(origin: str, prompt, output_type, kind: str, exclude: list[str]) -> None:
                nonlocal written
                started = time.perf_counter()
                try:
                    value = (await gateway.generate(prompt, output_type)).value
                except (LlmOutputInvalidError, LlmUnavailableError) as exc:
                    print(f"  ✗ {origin} {kind}: {str(exc)[:80]}", flush=True)
                    return
                for field, text in units_of(kind, value):
                    if text and text.strip():
                        # The prompt's reference is rebuilt from `kind` and `origin` when the checks are
                        # scored (bench/bundled_outputs_bench.py), so it is not stored with each text.
                        record = {"origin": origin, "kind": kind, "field": field, "text": text}
                        out.write(json.dumps(record, ensure_ascii=False) + "\n")
                        written += 1
                out.flush()
                print(f"  ✓ {origin} {kind} {time.perf_counter() - started:.0f}s ({written} units)", flush=True)

            few = settings.llm_few_shot
            for topic in topics:
                brief = prompts.CourseBrief(topic, "practical", "beginner", {})
                await run(topic, prompts.course_outline(brief, 3, 3, 5, few_shot=few), CourseOutlineDraft,
                          "course_outline", [topic])  # fmt: skip
                await run(topic, prompts.topic_notes(brief, "Basics", f"Introduction to {topic}", "", few_shot=few),
                          TopicNotesDraft, "topic_notes", [topic, f"Introduction to {topic}", "Basics"])  # fmt: skip
                refs = [("T1", f"Introduction to {topic}"), ("T2", f"Applying {topic}")]
                titles = [t for _, t in refs]
                await run(topic, prompts.flashcards(brief, refs, [], 6, few_shot=few), FlashcardSetDraft,
                          "flashcards", [topic, *titles])  # fmt: skip
                await run(topic, prompts.quiz(brief, refs, [], 4, few_shot=few), QuizDraft, "quiz", [topic, *titles])
                missed = [f"What is the main idea of {topic}?"]
                await run(topic, prompts.remediation(brief, titles[0], missed, [], 3, few_shot=few), RemediationDraft,
                          "remediation", [topic, titles[0], *missed])  # fmt: skip
            for entry in manifest[:document_limit]:
                built = build(entry["slug"], tmp)
                chunks, _ = _document(entry, built)
                texts = [t for _, t in chunks]
                name = built.name
                brief = prompts.CourseBrief(Path(name).stem.replace("-", " "), "practical", "beginner", {})
                step = max(1, len(texts) // 8)
                material = [" ".join(t.split()[:90]) for t in texts[::step][:8]]
                origin = f"doc:{entry['slug']}"
                await run(origin, prompts.course_outline(brief, 3, 3, 5, few_shot=few, material=material),
                          CourseOutlineDraft, "course_outline", [brief.topic, *material])  # fmt: skip
                first = entry["chapters"][0]
                topic_title = (first["topics"] or [first["title"]])[0]
                context = texts[1:4]
                notes = prompts.topic_notes(brief, first["title"], topic_title, "", few_shot=few, context=context)
                exclude = [brief.topic, first["title"], topic_title, *context]
                await run(origin, notes, TopicNotesDraft, "topic_notes", exclude)
                refs = [(f"T{i + 1}", c["title"]) for i, c in enumerate(entry["chapters"][:3])]
                titles = [t for _, t in refs]
                cited = texts[:: max(1, len(texts) // 6)][:6]
                source_refs = [f"S{i + 1}" for i in range(len(cited))]
                await run(origin, prompts.flashcards(brief, refs, cited, 6, few_shot=few, source_refs=source_refs),
                          FlashcardSetDraft, "flashcards", [brief.topic, *titles, *cited])  # fmt: skip
                await run(origin, prompts.quiz(brief, refs, cited, 4, few_shot=few, source_refs=source_refs), QuizDraft,
                          "quiz", [brief.topic, *titles, *cited])  # fmt: skip
                for question in [q for q in entry["questions"] if q.get("answerable")][:2]:
                    section = [
                        t for loc, t in chunks if question["section"] in (loc.get("heading"), loc.get("chapter"))
                    ]
                    excerpts = [f"{name}: {t}" for t in (section or texts[:1])[:3]]
                    await run(origin, prompts.tutor_answer(question["question"], excerpts, [], few_shot=few),
                              TutorAnswerDraft, "tutor_answer", [question["question"], *excerpts])  # fmt: skip
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
    print(f"{written} units → {OUT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--topics", type=int, default=8)
    parser.add_argument("--documents", type=int, default=12)
    args = parser.parse_args()
    asyncio.run(collect(args.topics, args.documents))


if __name__ == "__main__":
    main()
