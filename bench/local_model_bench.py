"""How useful is the bundled local model (issue 8)? For 20 varied topics (bench/local_topics.txt),
through the real gateway with the local decoding settings, measure the share of outlines, notes,
flashcard sets and quizzes that pass the product's validation without the manual fallback, and
the seconds each takes.

Run: `.venv/bin/python -m bench.local_model_bench` (needs the `local-llm` extra; ~20-40 minutes
on 2 cores). `--topics N` for a shorter run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from activities.llm import prompts
from activities.llm.errors import LlmOutputInvalidError, LlmUnavailableError
from activities.llm.gateway import LlmGateway
from bench.stack import free_port
from cli import local_llm
from studyflow import start_inputs
from studyflow.content_rules.outline_shape import normalize_outline
from studyflow.content_rules.study_validation import validate_flashcards, validate_quiz
from studyflow.contracts.llm_drafts import CourseOutlineDraft, FlashcardSetDraft, QuizDraft, TopicNotesDraft
from studyflow.settings import Settings

TOPICS = Path(__file__).with_name("local_topics.txt")


class _NoLedger:
    """The bench measures the model, not the database: the ledger is not written."""

    async def record(self, entry) -> None:
        return None

    async def persisted_reply(self, key):
        return None


async def _task(gateway: LlmGateway, prompt, output_type, check) -> tuple[bool, float, str, object]:
    """(passed, seconds, detail, validated reply or None)."""
    started = time.perf_counter()
    value = None
    try:
        value = (await gateway.generate(prompt, output_type)).value
        ok, detail = check(value)
    except (LlmOutputInvalidError, LlmUnavailableError) as exc:
        ok, detail = False, str(exc)[:120]
    return ok, time.perf_counter() - started, detail, value if ok else None


def _kept(validated, asked: int) -> tuple[bool, str]:
    """The product keeps a set when at least one record survives validation; how many did is
    reported too, since a set of one is a weak set."""
    return bool(validated.records), f"{len(validated.records)}/{asked}"


async def run(limit: int) -> None:
    topics = [t.strip() for t in TOPICS.read_text().splitlines() if t.strip()][:limit]
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
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
            few_shot = settings.llm_few_shot
            results: dict[str, list[tuple[bool, float, str, object]]] = {
                k: [] for k in ("outline", "notes", "flashcards", "quiz")
            }
            shape = start_inputs.outline_shape(settings)
            for topic in topics:
                brief = prompts.CourseBrief(topic, "practical", "beginner", {})
                results["outline"].append(
                    await _task(
                        gateway,
                        prompts.course_outline(
                            brief, shape.chapters, shape.min_topics, shape.max_topics, few_shot=few_shot
                        ),
                        CourseOutlineDraft,
                        lambda o: (True, f"{len(o.chapters)} ch/{sum(len(c.topics) for c in o.chapters)} topics"),
                    )
                )
                # Later steps work on the course the product would store: the model's outline,
                # normalised (or the manual one when the model's outline failed).
                draft = results["outline"][-1][3] or CourseOutlineDraft(
                    title=topic, chapters=[{"title": topic, "topics": [{"title": topic}]}]
                )
                outline = normalize_outline(draft, shape, topic)
                chapter, first = outline.chapters[0], outline.chapters[0].topics[0]
                refs = [(f"T{i + 1}", t.title) for i, t in enumerate(t for c in outline.chapters for t in c.topics)]
                known = {r for r, _ in refs}
                results["notes"].append(
                    await _task(
                        gateway,
                        prompts.topic_notes(brief, chapter.title, first.title, first.summary, few_shot=few_shot),
                        TopicNotesDraft,
                        lambda n: (True, f"{len(n.key_points)} key points"),
                    )
                )
                results["flashcards"].append(
                    await _task(
                        gateway,
                        prompts.flashcards(brief, refs, [], settings.flashcards_per_set, few_shot=few_shot),
                        FlashcardSetDraft,
                        lambda d, known=known: _kept(validate_flashcards(d, known), settings.flashcards_per_set),
                    )
                )
                results["quiz"].append(
                    await _task(
                        gateway,
                        prompts.quiz(brief, refs, [], settings.quiz_questions, few_shot=few_shot),
                        QuizDraft,
                        lambda d, known=known: _kept(validate_quiz(d, known), settings.quiz_questions),
                    )
                )
                print(
                    f"  {topic:<32} "
                    + "  ".join(
                        f"{k}={'ok' if results[k][-1][0] else 'FAIL'}({results[k][-1][1]:.0f}s, "
                        f"{results[k][-1][2][: 40 if results[k][-1][0] else 160]})"
                        for k in results
                    ),
                    flush=True,
                )
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
    print(
        f"\nlocal model {local_llm.MODEL_ALIAS}: validation pass rate and seconds per artifact ({len(topics)} topics)"
    )
    for kind, rows in results.items():
        passed = sum(ok for ok, _, _, _ in rows)
        seconds = [s for _, s, _, _ in rows]
        print(
            f"  {kind:<11} pass {passed:>2}/{len(rows)} ({passed / len(rows):4.0%})  "
            f"median {statistics.median(seconds):6.1f}s  max {max(seconds):6.1f}s"
        )
    for kind in ("flashcards", "quiz"):
        kept = [int(d.split("/")[0]) for ok, _, d, _ in results[kind] if ok]
        asked = settings.flashcards_per_set if kind == "flashcards" else settings.quiz_questions
        if kept:
            print(f"  {kind:<11} records kept in passing sets: mean {statistics.mean(kept):.1f} of {asked} asked")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", type=int, default=20)
    asyncio.run(run(parser.parse_args().topics))


if __name__ == "__main__":
    main()
