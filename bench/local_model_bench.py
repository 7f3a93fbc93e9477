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

from activities import prompts
from activities.errors import LlmOutputInvalidError, LlmUnavailableError
from activities.llm_gateway import LlmGateway
from activities.outline_shape import normalize_outline
from activities.study_validation import validate_flashcards, validate_quiz
from bench.stack import free_port
from studyflow import local_llm
from studyflow.contracts.generated import CourseOutlineDraft, FlashcardSetDraft, QuizDraft, TopicNotesDraft
from studyflow.contracts.workflow_inputs import OutlineShape
from studyflow.settings import Settings

TOPICS = Path(__file__).with_name("local_topics.txt")


class _NoLedger:
    """The bench measures the model, not the database: the ledger is not written."""

    async def record(self, entry) -> None:
        return None

    async def persisted_reply(self, key):
        return None


async def _task(gateway: LlmGateway, prompt, output_type, check) -> tuple[bool, float, str]:
    started = time.perf_counter()
    try:
        result = await gateway.generate(prompt, output_type)
        ok, detail = check(result.value)
    except (LlmOutputInvalidError, LlmUnavailableError) as exc:
        ok, detail = False, str(exc)[:120]
    return ok, time.perf_counter() - started, detail


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
            results: dict[str, list[tuple[bool, float, str]]] = {k: [] for k in ("outline", "notes", "flashcards", "quiz")}
            for topic in topics:
                brief = prompts.CourseBrief(topic, "practical", "beginner", {})
                outline_ok, seconds, detail = await _task(
                    gateway, prompts.course_outline(brief, 3, 3, 5), CourseOutlineDraft,
                    lambda o: (True, f"{len(o.chapters)} chapters"),
                )
                results["outline"].append((outline_ok, seconds, detail))
                # Later steps need topics: the normalised outline (manual one if the LLM failed).
                draft = CourseOutlineDraft(title=topic, chapters=[{"title": topic, "topics": [{"title": topic}]}])
                topic_titles = [t.title for c in normalize_outline(draft, OutlineShape(), topic).chapters for t in c.topics][:6]
                refs = [(f"T{i + 1}", title) for i, title in enumerate(topic_titles)]
                results["notes"].append(await _task(
                    gateway, prompts.topic_notes(brief, "Chapter 1", topic_titles[0], ""), TopicNotesDraft,
                    lambda n: (True, f"{len(n.key_points)} key points"),
                ))
                results["flashcards"].append(await _task(
                    gateway, prompts.flashcards(brief, refs, [], 6), FlashcardSetDraft,
                    lambda d: (bool(v := validate_flashcards(d, {r for r, _ in refs}).records), f"{len(v)} valid cards"),
                ))
                results["quiz"].append(await _task(
                    gateway, prompts.quiz(brief, refs, [], 4), QuizDraft,
                    lambda d: (bool(v := validate_quiz(d, {r for r, _ in refs}).records), f"{len(v)} valid questions"),
                ))
                print(f"  {topic:<32} " + "  ".join(
                    f"{k}={'ok' if results[k][-1][0] else 'FAIL'}({results[k][-1][1]:.0f}s)" for k in results), flush=True)
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
    print(f"\nlocal model {local_llm.MODEL_ALIAS}: validation pass rate and seconds per artifact ({len(topics)} topics)")
    for kind, rows in results.items():
        passed = sum(ok for ok, _, _ in rows)
        seconds = [s for _, s, _ in rows]
        print(f"  {kind:<11} pass {passed:>2}/{len(rows)} ({passed / len(rows):4.0%})  "
              f"median {statistics.median(seconds):6.1f}s  max {max(seconds):6.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", type=int, default=20)
    asyncio.run(run(parser.parse_args().topics))


if __name__ == "__main__":
    main()
