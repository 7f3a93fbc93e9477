"""How long a backup and a restore take on the benches' largest data set.

`.venv/bin/python -m bench.backup_bench` fills a bench stack with what the other benches build —
the course bench's 100 courses (here with every topic's notes, generated in the background, and a
quiz each) and the ingestion bench's 200-page PDF (600 chunks) — then times `studyflow backup`'s
work (cli/backup.py) and a restore of it into a new database on the same server (cli/restore.py),
and checks the restored database has the same rows.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from api.dev_auth import ensure_keypair, mint_session_token
from bench.ingest_bench import lecture
from bench.stack import BenchStack
from cli.backup import take_backup
from cli.restore import restore_backup
from db.engine import libpq_url
from studyflow.object_store import LocalObjectStore
from tests.support.databases import with_database

TABLES = ["users", "courses", "topics", "study_contents", "content_chunks", "sources", "llm_calls"]


async def _until(http: httpx.AsyncClient, path: str, headers: dict, done, timeout: float = 1800) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = (await http.get(path, headers=headers)).json()
        if done(body):
            return body
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not settle: {body}")
        await asyncio.sleep(0.5)


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(libpq_url(url)) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


async def fill(stack: BenchStack, courses: int, pages: int) -> None:
    """In steps a 2-core machine keeps up with: a hundred quizzes at once queue their embeddings
    behind each other past the activities' heartbeat timeouts, and the retries only add load."""
    private_pem, _ = ensure_keypair(stack.data_dir / "dev-auth")
    headers = [{"Authorization": f"Bearer {mint_session_token(private_pem, f'backup-{n}')}"} for n in range(8)]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}", timeout=120) as http:
        added = await http.post("/v1/sources", files={"file": ("lecture.pdf", lecture(pages))}, headers=headers[0])
        assert added.status_code == 202, added.text
        await _until(http, f"/v1/sources/{added.json()['id']}", headers[0], lambda s: s["status"] != "processing")
        ids = []
        for batch in range(0, courses, 4):
            started = []
            for n in range(batch, min(batch + 4, courses)):
                response = await http.post("/v1/courses", json={"topic": f"backup topic {n}"}, headers=headers[n % 8])
                assert response.status_code == 202, response.text
                started.append((response.json()["course_id"], headers[n % 8]))
            quizzes = []
            for course, user in started:
                await _until(http, f"/v1/courses/{course}", user, lambda c: c["status"] != "generating")
                quiz = await http.post(f"/v1/courses/{course}/study-content", json={"type": "quiz"}, headers=user)
                assert quiz.status_code == 202, quiz.text
                quizzes.append((quiz.json()["id"], user))
            for quiz, user in quizzes:
                await _until(http, f"/v1/study-content/{quiz}", user, lambda q: q["status"] != "generating")
            ids += started
        # Background notes: every topic of every course, at BACKGROUND_GLOBAL_CONCURRENCY.
        for course, user in ids:
            await _until(http, f"/v1/courses/{course}", user, lambda c: c["topics_completed"] == c["topics_total"])


async def run(courses: int, pages: int) -> None:
    env = {"RATE_LIMIT_BURST": "100000", "RATE_LIMIT_PER_MINUTE": "1000000", "FREE_STUDY_CONTENT_PER_DAY": "100000"}
    with BenchStack(extra_env=env) as stack:
        started = time.perf_counter()
        await fill(stack, courses, pages)
        print(f"filled in {time.perf_counter() - started:.0f}s: {_counts(stack.database_url)}")
        store = LocalObjectStore(stack.data_dir / "sources")
        with tempfile.TemporaryDirectory(prefix="studyflow-backup-bench-") as scratch:
            backup_dir = Path(scratch) / "backup"
            manifest = take_backup(stack.database_url, store, "local", backup_dir)
            with psycopg.connect(libpq_url(stack.database_url), autocommit=True) as conn:
                size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
                conn.execute("CREATE DATABASE restored")
            restored_url = with_database(stack.database_url, "restored")
            timings = restore_backup(backup_dir, restored_url, LocalObjectStore(Path(scratch) / "restored-sources"))
            same = _counts(restored_url) == _counts(stack.database_url)
        print(
            f"database {size / 1e6:.1f} MB on disk, dump {manifest.database_bytes / 1e6:.1f} MB "
            f"({len(manifest.database_files)} files), uploads {len(manifest.objects)} "
            f"({manifest.object_bytes / 1e6:.1f} MB)\n"
            f"backup:  {manifest.seconds['total']:.1f}s (database {manifest.seconds['database']:.1f}s, "
            f"uploads {manifest.seconds['objects']:.2f}s) with {manifest.pg_dump}\n"
            f"restore: {timings['total']:.1f}s (database {timings['database']:.1f}s, uploads "
            f"{timings['objects']:.2f}s, checksums verified first) with {timings['pg_restore']}\n"
            f"restored rows equal the original's: {same}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--courses", type=int, default=100)
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.courses, args.pages))


if __name__ == "__main__":
    main()
