"""Semantic-cache benchmark (issue 4).

  1. Lookup latency p50/p99 at 10k and 100k cached entries through the HNSW index (the query the
     cache runs), against an exact scan of the same rows in the same run, and recall@1 of the
     HNSW answer (its top entry equals the exact top entry).
  2. LLM calls for 200 study-content requests, half of them paraphrases of earlier ones, with the
     cache on and off (same activities, same scripted LLM, in-process).

Run: `.venv/bin/python -m bench.cache_bench` (about 10 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from sqlalchemy import func, insert, select

from activities.course_activities import CourseActivities
from activities.embedders import build_embedder
from activities.llm.gateway import LlmGateway
from activities.llm.ledger import LlmLedger
from activities.study_content_activities import StudyContentActivities
from bench.load import percentile
from bench.stack import BenchStack
from db.engine import create_engine, create_session_factory
from db.models import Course, LlmCall, StudyContent, User
from studyflow.contracts.activity_io import (
    ContentRef,
    GenerateStudyContentInput,
    PersistOutlineInput,
    ServeCachedInput,
)
from studyflow.contracts.workflow_inputs import OutlineShape
from studyflow.settings import Settings

PAIRS = Path(__file__).resolve().parents[1] / "tests" / "data" / "cache_pairs.jsonl"
SCOPE = "quiz|bench-model|v|beginner|practical|en|8"
LOOKUP = "SELECT id FROM semantic_cache WHERE scope_key = %s AND expires_at > now() ORDER BY embedding <=> %s LIMIT 5"
EXACT = (
    "SELECT id FROM semantic_cache WHERE scope_key = %s AND expires_at > now() ORDER BY (embedding <=> %s) + 0 LIMIT 5"
)


def _synthetic_vectors(seeds: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Entries clustered around real sentence embeddings: neighbourhoods like real traffic."""
    base = seeds[rng.integers(0, len(seeds), size=count)]
    noisy = base + rng.normal(0, 0.5 / np.sqrt(seeds.shape[1]), size=base.shape)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def _fill(conn: psycopg.Connection, vectors: np.ndarray, offset: int) -> None:
    expires = datetime.now(UTC) + timedelta(days=30)
    with conn.cursor() as cur:
        with cur.copy(
            "COPY semantic_cache (scope_key, request_text, embedding, response, model, prompt_version, expires_at) "
            "FROM STDIN"
        ) as copy:
            for i, vector in enumerate(vectors):
                # One dominant scope, plus others the filter has to skip.
                scope = SCOPE if i % 10 else f"flashcards|bench-model|v|beginner|practical|en|{i % 7}"
                text = "[" + ",".join(f"{x:.6f}" for x in vector) + "]"
                copy.write_row((scope, f"request {offset + i}", text, "{}", "bench-model", "v", expires))
    conn.commit()


def _measure(conn: psycopg.Connection, queries: np.ndarray) -> dict:
    results = {}
    for name, sql in (("hnsw", LOOKUP), ("exact", EXACT)):
        latencies, tops = [], []
        for query in queries:
            with conn.transaction():
                conn.execute("SET LOCAL hnsw.ef_search = 200")
                started = time.perf_counter()
                rows = conn.execute(sql, (SCOPE, query)).fetchall()
                latencies.append((time.perf_counter() - started) * 1000)
            tops.append(rows[0][0] if rows else None)
        results[name] = (percentile(latencies, 50), percentile(latencies, 99), tops)
    recall = sum(a == b for a, b in zip(results["hnsw"][2], results["exact"][2], strict=False)) / len(queries)
    return {"hnsw": results["hnsw"][:2], "exact": results["exact"][:2], "recall": recall}


async def lookup_benchmark(database_url: str, settings: Settings) -> list[str]:
    rng = np.random.default_rng(7)
    words = [w for line in PAIRS.read_text().splitlines() for w in json.loads(line)["a"].split()]
    seed_texts = [" ".join(rng.choice(words, size=4)) for _ in range(1500)]
    seeds = np.array(await build_embedder(settings).embed(seed_texts), dtype=np.float32)
    lines = []
    with psycopg.connect(database_url) as conn:
        register_vector(conn)
        stored = np.empty((0, seeds.shape[1]), dtype=np.float32)
        for target in (10_000, 100_000):
            batch = _synthetic_vectors(seeds, target - len(stored), rng)
            started = time.perf_counter()
            _fill(conn, batch, len(stored))
            stored = np.vstack([stored, batch])
            conn.execute("ANALYZE semantic_cache")
            conn.commit()
            load_seconds = time.perf_counter() - started
            picks = stored[rng.integers(0, len(stored), size=200)]
            queries = picks + rng.normal(0, 0.02, size=picks.shape).astype(np.float32)
            queries /= np.linalg.norm(queries, axis=1, keepdims=True)
            m = _measure(conn, queries)
            lines.append(
                f"{target:>7,} entries (loaded+indexed in {load_seconds:5.1f}s): "
                f"HNSW p50={m['hnsw'][0]:6.2f} ms p99={m['hnsw'][1]:6.2f} ms | "
                f"exact p50={m['exact'][0]:7.2f} ms p99={m['exact'][1]:7.2f} ms | "
                f"speed-up x{m['exact'][0] / m['hnsw'][0]:.1f} | recall@1 {m['recall']:.1%}"
            )
    return lines


async def llm_calls_benchmark(settings: Settings, sessions) -> list[str]:
    pairs = [json.loads(line) for line in PAIRS.read_text().splitlines()]
    same = [p for p in pairs if p["label"] == "same"]
    originals = list(dict.fromkeys(p["a"] for p in same))
    # Fill up to 100 distinct originals with contrast topics (other languages, other entities).
    for p in pairs:
        if len(originals) >= 100:
            break
        if p["kind"] in ("other_language", "other_entity") and p["b"] not in originals:
            originals.append(p["b"])
    requests = originals + [p["b"] for p in same[:100]]  # then 100 paraphrases of earlier requests
    ledger = LlmLedger(sessions)
    embedder = build_embedder(settings)
    llm = LlmGateway(settings, ledger)
    courses = CourseActivities(settings, sessions, llm)
    lines = []
    for cache_on in (False, True):
        study = StudyContentActivities(
            settings.model_copy(update={"openai_model": f"bench-{uuid.uuid4().hex[:6]}"}),
            sessions,
            llm,
            ledger,
            embedder,
        )
        async with sessions.begin() as session:
            owner = await session.scalar(insert(User).values(clerk_id=f"bench-{uuid.uuid4()}").returning(User.id))
        started_at = datetime.now(UTC)
        served = 0
        for topic in requests:
            async with sessions.begin() as session:
                course_id = await session.scalar(
                    insert(Course)
                    .values(owner_id=owner, topic=topic, course_type="practical", difficulty="beginner", status="ready")
                    .returning(Course.id)
                )
                content_id = await session.scalar(
                    insert(StudyContent).values(course_id=course_id, type="quiz").returning(StudyContent.id)
                )
            await courses.persist_outline(PersistOutlineInput(course_id=course_id, shape=OutlineShape()))
            ref = ContentRef(content_id=content_id)
            if cache_on:
                decision = await study.lookup_cache(ref)
                if decision.hit_entry_id:
                    await study.serve_cached(
                        ServeCachedInput(
                            content_id=content_id,
                            entry_id=decision.hit_entry_id,
                            served_from=f"cache_{decision.hit_tier}",
                        )
                    )
                    served += 1
                    continue
            context = await study.retrieve_context(ref)
            await study.generate_study_content(
                GenerateStudyContentInput(content_id=content_id, chunk_ids=context.chunk_ids)
            )
            if cache_on:
                await study.store_in_cache(ref)
        async with sessions() as session:
            calls = await session.scalar(
                select(func.count()).where(
                    LlmCall.created_at >= started_at, LlmCall.outcome == "ok", LlmCall.purpose == "quiz"
                )
            )
        lines.append(
            f"cache {'on ' if cache_on else 'off'}: {len(requests)} requests → {calls} LLM calls"
            + (f" ({served} served from the cache)" if cache_on else "")
        )
    return lines


async def run(skip_lookup: bool) -> None:
    with BenchStack(start_api=False, start_worker=False, start_temporal=False) as stack:
        settings = Settings(
            _env_file=None,
            database_url=stack.database_url,
            openai_api_key="sk-bench",
            openai_base_url=stack.env["OPENAI_BASE_URL"],
            openai_fallback_base_url=stack.env["OPENAI_FALLBACK_BASE_URL"],
        )
        engine = create_engine(stack.database_url)
        sessions = create_session_factory(engine)
        calls = await llm_calls_benchmark(settings, sessions)
        lookups = [] if skip_lookup else await lookup_benchmark(stack.database_url, settings)
        await engine.dispose()
    print("\nsemantic cache benchmark")
    print("LLM calls, 200 study-content requests (100 distinct topics, then 100 paraphrases of them):")
    for line in calls:
        print("  " + line)
    print("lookup latency (200 queries near stored entries, scope-filtered, top 5):")
    for line in lookups:
        print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-lookup", action="store_true", help="only the LLM-call workload")
    args = parser.parse_args()
    random.seed(7)
    asyncio.run(run(args.skip_lookup))


if __name__ == "__main__":
    main()
