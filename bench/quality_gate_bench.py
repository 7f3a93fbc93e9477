"""What the quality gate does to the bundled model's sets (issue 20). For the 20 bench topics
(bench/local_topics.txt), through the real gateway and the local model's settings: an outline
(for the topic refs), then a flashcard set and a quiz, each validated and put through the gate
exactly as `generate_study_content` does (same checks, same rewrite request, local MiniLM
embeddings). Reported: the share of checked items passing before and after the rewrite, the
flaws found, the share of sets left with at least the minimum the product serves, and the time
the gate adds per set (the checks alone, and with the rewrite call).

Run: `.venv/bin/python -m bench.quality_gate_bench` (needs the `local-llm` extra; about 30-40
minutes on 2 cores). `--topics N` for a shorter run.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from activities.embedders.local import LocalEmbedder
from activities.llm import prompts
from activities.llm.errors import LlmOutputInvalidError, LlmUnavailableError
from activities.llm.gateway import LlmGateway
from activities.quality_gate import QualityGate, llm_repairer, thresholds_from
from bench.local_model_bench import TOPICS, _NoLedger
from bench.stack import free_port
from cli import local_llm
from studyflow import start_inputs
from studyflow.content_rules.outline_shape import normalize_outline
from studyflow.content_rules.study_validation import validate_set
from studyflow.contracts.llm_drafts import CourseOutlineDraft, FlashcardSetDraft, QuizDraft
from studyflow.settings import Settings


async def _wait_for(port: int) -> None:
    for _ in range(240):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)
    raise SystemExit("the local model server did not start")


async def _one_set(gateway, gate, settings, kind, brief, refs) -> dict:
    size = settings.quiz_questions if kind == "quiz" else settings.flashcards_per_set
    output_type = QuizDraft if kind == "quiz" else FlashcardSetDraft
    build = prompts.quiz if kind == "quiz" else prompts.flashcards
    known = {ref for ref, _ in refs}
    try:
        draft = (
            await gateway.generate(build(brief, refs, [], size, few_shot=settings.llm_few_shot), output_type)
        ).value
    except (LlmOutputInvalidError, LlmUnavailableError) as exc:
        return {"kind": kind, "size": size, "error": str(exc)[:100]}
    validated = validate_set(kind, draft, known)
    repair = llm_repairer(
        gateway, prompts.RepairContext(kind, brief, refs, [], few_shot=settings.llm_few_shot), output_type, known
    )
    rewrite_seconds = 0.0

    async def timed_repair(flawed):
        nonlocal rewrite_seconds
        started = time.perf_counter()
        try:
            return await repair(flawed)
        finally:
            rewrite_seconds = time.perf_counter() - started

    gated = await gate.apply(
        kind, validated.records, requested=size, invalid=len(validated.dropped), excerpts=[], repair=timed_repair
    )
    return {"kind": kind, "size": size, "report": gated.report, "rewrite_s": rewrite_seconds}


async def run(limit: int) -> None:
    topics = [t.strip() for t in TOPICS.read_text().splitlines() if t.strip()][:limit]
    port = free_port()
    sets: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        server = local_llm.start_server(port, Path(tmp) / "server.log")
        try:
            await _wait_for(port)
            env = {k.lower(): v for k, v in local_llm.LOCAL_ENV.items()}
            settings = Settings(_env_file=None, openai_base_url=f"http://127.0.0.1:{port}/v1", **env)
            gateway = LlmGateway(settings, _NoLedger())
            gate = QualityGate(LocalEmbedder(), thresholds_from(settings))
            shape = start_inputs.outline_shape(settings)
            for topic in topics:
                brief = prompts.CourseBrief(topic, "practical", "beginner", {})
                try:
                    draft = (
                        await gateway.generate(
                            prompts.course_outline(
                                brief,
                                shape.chapters,
                                shape.min_topics,
                                shape.max_topics,
                                few_shot=settings.llm_few_shot,
                            ),
                            CourseOutlineDraft,
                        )
                    ).value
                except (LlmOutputInvalidError, LlmUnavailableError):
                    draft = CourseOutlineDraft(title=topic, chapters=[{"title": topic, "topics": [{"title": topic}]}])
                outline = normalize_outline(draft, shape, topic)
                refs = [(f"T{i + 1}", t.title) for i, t in enumerate(t for c in outline.chapters for t in c.topics)]
                for kind in ("flashcards", "quiz"):
                    result = await _one_set(gateway, gate, settings, kind, brief, refs)
                    sets.append(result)
                    report = result.get("report")
                    line = result.get("error") or (
                        f"{report.checked} checked, {report.passed} passed, {report.repaired} repaired, "
                        f"{report.dropped} dropped → {report.served}/{result['size']} · {dict(report.found)} · "
                        f"{report.gate_ms} ms"
                    )
                    print(f"  {topic:<30} {kind:<10} {line}", flush=True)
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()

    share = settings.study_content_min_kept_share
    print(
        f"\nquality gate on {local_llm.MODEL_ALIAS}, {len(topics)} topics (minimum served: {share:.0%} of those asked)"
    )
    for kind in ("flashcards", "quiz"):
        rows = [s for s in sets if s["kind"] == kind]
        gated = [s for s in rows if "report" in s]
        reports = [s["report"] for s in gated]
        checked = sum(r.checked for r in reports)
        passed = sum(r.passed for r in reports)
        repaired = sum(r.repaired for r in reports)
        found = Counter()
        for r in reports:
            found.update(r.found)
        size = rows[0]["size"] if rows else 0
        enough = sum(1 for r in reports if r.served >= math.ceil(size * share))
        check_ms = [r.gate_ms - 1000 * s["rewrite_s"] for r, s in zip(reports, gated, strict=False)]
        print(f"  {kind}: {len(rows)} sets, {len(rows) - len(gated)} with no usable reply; {checked} items checked")
        if checked:
            print(
                f"    pass the gate: {passed / checked:.0%} before the rewrite, "
                f"{(passed + repaired) / checked:.0%} after"
            )
        print(f"    sets with at least {math.ceil(size * share)} of {size}: {enough}/{len(rows)}")
        print(f"    flaws found (items): {dict(found.most_common())}")
        if reports:
            print(
                f"    time per set: checks median {statistics.median(check_ms):.0f} ms (max {max(check_ms):.0f}); "
                f"with the rewrite call median {statistics.median(r.gate_ms for r in reports) / 1000:.1f} s "
                f"(max {max(r.gate_ms for r in reports) / 1000:.1f} s)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", type=int, default=20)
    asyncio.run(run(parser.parse_args().topics))


if __name__ == "__main__":
    main()
