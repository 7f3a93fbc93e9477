"""Source ingestion benchmark (issue 13): a 200-page PDF uploaded through the API and ingested by
the worker (SourceIngestionWorkflow: read pages in the bounded reader process, chunk, embed,
index), against the same work done in one process with no API, Temporal or database.

Prints pages/s, chunks/s, the overhead ratio against that in-run baseline, and peak memory: the
worker's high-water RSS and the largest reader process seen (sampled every 50 ms).

Run: `.venv/bin/python -m bench.ingest_bench [--pages 200]` (about 3 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import threading
import time
from pathlib import Path

import httpx

from activities.chunking import chunk_text
from activities.embedders.local import LocalEmbedder
from activities.sources.extracted import ReadLimits
from activities.sources.readers.pdf import read as read_pdf
from api.dev_auth import ensure_keypair, mint_session_token
from bench.stack import BenchStack
from tests.support.source_files import pdf

WORDS = (
    "join index table row column key query plan scan hash merge sort tuple relation schema "
    "transaction lock commit isolation replica shard partition vacuum cache buffer page log"
).split()


def lecture(pages: int) -> bytes:
    rng = random.Random(13)
    texts = []
    for page in range(pages):
        sentences = [" ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(25)]
        texts.append(f"Lecture page {page + 1}. " + " ".join(sentences))
    return pdf(texts)


def _rss_kb(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for task in tasks for c in (task / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


class ReaderMemory(threading.Thread):
    """The largest resident size of any process the worker starts (the page readers)."""

    def __init__(self, worker_pid: int):
        super().__init__(daemon=True)
        self.worker_pid, self.peak_kb, self.running = worker_pid, 0, True

    def run(self) -> None:
        while self.running:
            for child in _children(self.worker_pid):
                self.peak_kb = max(self.peak_kb, _rss_kb(child))
            time.sleep(0.05)


async def baseline(data: bytes, pages: int, batch: int) -> tuple[float, int]:
    """The same reading, chunking and embedding in this process: the floor for the workflow."""
    path = Path("/tmp/studyflow-ingest-bench.pdf")
    path.write_bytes(data)
    embedder = LocalEmbedder()
    await embedder.embed(["warm up the model"])
    started, chunks = time.perf_counter(), 0
    for start in range(0, pages, batch):
        extracted = read_pdf(
            path, (start, start + batch), ReadLimits(page_timeout_seconds=10, unpacked_max_bytes=1 << 30)
        )
        texts = [t for s in extracted.sections for t in chunk_text(s.text)]
        for i in range(0, len(texts), 64):
            await embedder.embed(texts[i : i + 64])
        chunks += len(texts)
    return time.perf_counter() - started, chunks


async def run(pages: int) -> None:
    data = lecture(pages)
    print(f"PDF: {pages} pages, {len(data) / 1024:.0f} KB")
    with BenchStack(extra_env={"RATE_LIMIT_BURST": "1000"}) as stack:
        private_pem, _ = ensure_keypair(stack.data_dir / "dev-auth")
        headers = {"Authorization": f"Bearer {mint_session_token(private_pem, 'bench-reader')}"}
        worker_pid = stack.worker_pids[0]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}", timeout=60) as http:
            # Warm-up: the worker loads the embedding model on its first source.
            warm = await http.post(
                "/v1/sources", files={"file": ("warm.md", b"# Warm\n\nup the model.\n")}, headers=headers
            )
            await _settle(http, headers, warm.json()["id"])
            before_kb = _rss_kb(worker_pid)
            readers = ReaderMemory(worker_pid)
            readers.start()
            started = time.perf_counter()
            response = await http.post("/v1/sources", files={"file": ("lecture.pdf", data)}, headers=headers)
            accepted = time.perf_counter() - started
            source = await _settle(http, headers, response.json()["id"])
            elapsed = time.perf_counter() - started
            readers.running = False
        peak_kb = _rss_kb(worker_pid, "VmHWM")
    assert source["status"] == "ready", source
    base_seconds, base_chunks = await baseline(data, pages, 25)
    print(f"upload answered in {accepted * 1000:.0f} ms (202)")
    print(
        f"workflow:  {elapsed:6.1f} s  {pages / elapsed:6.1f} pages/s  {source['chunk_count'] / elapsed:6.1f} chunks/s"
        f"  ({source['chunk_count']} chunks)"
    )
    print(
        f"baseline:  {base_seconds:6.1f} s  {pages / base_seconds:6.1f} pages/s  "
        f"{base_chunks / base_seconds:6.1f} chunks/s"
        "  (same reading, chunking, embedding in one process)"
    )
    print(f"overhead ratio (workflow / baseline): {elapsed / base_seconds:.2f}x")
    print(
        f"worker RSS: {before_kb / 1024:.0f} MB before, peak {peak_kb / 1024:.0f} MB; largest "
        f"reader process {readers.peak_kb / 1024:.0f} MB"
    )


async def _settle(http: httpx.AsyncClient, headers: dict, source_id: str) -> dict:
    while True:
        source = (await http.get(f"/v1/sources/{source_id}", headers=headers)).json()
        if source["status"] != "processing":
            return source
        await asyncio.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200)
    asyncio.run(run(parser.parse_args().pages))


if __name__ == "__main__":
    main()
