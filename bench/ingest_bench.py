"""Source ingestion benchmark (issue 13): a 200-page PDF uploaded through the API and ingested by
the worker (SourceIngestionWorkflow: read pages in the bounded reader process, chunk, embed,
index), against the same work done in one process with no API, Temporal or database.

Prints pages/s, chunks/s (goal of issue 37: >= 8 pages/s), the overhead ratio against those
in-run baselines (the torch runtime on one thread, as before issue 37, and the runtime and threads
the stack's cpu worker uses), the CPU per embedded chunk of each, the Temporal SDK's workflow-task
schedule-to-start latency during the ingestion (goal: p99 <= 100 ms), the CPU share per process
group, and peak memory: each worker's high-water RSS and the largest reader process seen
(sampled every 50 ms).

Run: `.venv/bin/python -m bench.ingest_bench [--pages 200] [--workers split|single-torch]`
(about 4 minutes on 2 cores). `--workers single-torch` is the topology before issue 37: one worker
process for every queue, embedding on torch.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from activities.chunking import chunk_text
from activities.embedders.local import LocalEmbedder
from activities.sources.extracted import ReadLimits
from activities.sources.readers.pdf import read as read_pdf
from api.dev_auth import ensure_keypair, mint_session_token
from bench.cpu_share import cpu_share
from bench.sdk_metrics import WORKFLOW_TASK_WAIT, sdk_histogram
from bench.stack import MODEL_CACHE, TOPOLOGIES, BenchStack
from tests.support.source_files import pdf

WORDS = (
    "join index table row column key query plan scan hash merge sort tuple relation schema "
    "transaction lock commit isolation replica shard partition vacuum cache buffer page log"
).split()


def lecture(pages: int, seed: int = 13) -> bytes:
    rng = random.Random(seed)
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


@dataclass
class Baseline:
    label: str
    seconds: float
    chunks: int
    embed_cpu_ms_per_chunk: float


async def baseline(data: bytes, pages: int, batch: int, runtime: str, threads: int) -> Baseline:
    """The same reading, chunking and embedding in this process: the floor for the workflow."""
    path = Path("/tmp/studyflow-ingest-bench.pdf")
    path.write_bytes(data)
    embedder = LocalEmbedder(runtime, threads, MODEL_CACHE)
    await embedder.embed(["warm up the model"])
    started, chunks, embed_cpu = time.perf_counter(), 0, 0.0
    for start in range(0, pages, batch):
        extracted = read_pdf(
            path, (start, start + batch), ReadLimits(page_timeout_seconds=10, unpacked_max_bytes=1 << 30)
        )
        texts = [t for s in extracted.sections for t in chunk_text(s.text)]
        cpu = time.process_time()
        for i in range(0, len(texts), 64):
            await embedder.embed(texts[i : i + 64])
        embed_cpu += time.process_time() - cpu
        chunks += len(texts)
    label = f"{embedder.runtime_in_use}, {threads} thread{'s' if threads > 1 else ''}"
    return Baseline(label, time.perf_counter() - started, chunks, embed_cpu / max(chunks, 1) * 1000)


async def run(pages: int, topology: str) -> None:
    data = lecture(pages)
    workers = TOPOLOGIES[topology]
    print(f"PDF: {pages} pages, {len(data) / 1024:.0f} KB; workers: {topology} {workers}")
    with BenchStack(extra_env={"RATE_LIMIT_BURST": "1000"}, worker_processes=workers) as stack:
        private_pem, _ = ensure_keypair(stack.data_dir / "dev-auth")
        headers = {"Authorization": f"Bearer {mint_session_token(private_pem, 'bench-reader')}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}", timeout=60) as http:
            # Warm-up: the worker loads the embedding model on its first source.
            warm = await http.post(
                "/v1/sources", files={"file": ("warm.md", b"# Warm\n\nup the model.\n")}, headers=headers
            )
            await _settle(http, headers, warm.json()["id"])
            before_kb = [_rss_kb(pid) for pid in stack.worker_pids]
            readers = [ReaderMemory(pid) for pid in stack.worker_pids]
            for reader in readers:
                reader.start()
            with (
                cpu_share(stack.roles()) as cpu,
                sdk_histogram(stack.sdk_metric_ports, WORKFLOW_TASK_WAIT) as waits,
            ):
                started = time.perf_counter()
                response = await http.post("/v1/sources", files={"file": ("lecture.pdf", data)}, headers=headers)
                accepted = time.perf_counter() - started
                source = await _settle(http, headers, response.json()["id"])
                elapsed = time.perf_counter() - started
            for reader in readers:
                reader.running = False
        peak_kb = [_rss_kb(pid, "VmHWM") for pid in stack.worker_pids]
        names = [role for role in stack.roles() if role.startswith("worker")]
    assert source["status"] == "ready", source
    cpu_threads = _cpu_worker_threads(workers)
    baselines = [await baseline(data, pages, 25, "torch", 1)]
    if (workers[-1].get("EMBEDDING_RUNTIME", "auto"), cpu_threads) != ("torch", 1):
        baselines.append(await baseline(data, pages, 25, workers[-1].get("EMBEDDING_RUNTIME", "auto"), cpu_threads))
    print(f"upload answered in {accepted * 1000:.0f} ms (202)")
    rate = pages / elapsed
    print(
        f"workflow:  {elapsed:6.1f} s  {rate:6.1f} pages/s  {source['chunk_count'] / elapsed:6.1f} chunks/s"
        f"  ({source['chunk_count']} chunks)   goal >= 8 pages/s: {'met' if rate >= 8 else 'not met'}"
    )
    for base in baselines:
        print(
            f"baseline:  {base.seconds:6.1f} s  {pages / base.seconds:6.1f} pages/s  "
            f"{base.chunks / base.seconds:6.1f} chunks/s  embedding {base.embed_cpu_ms_per_chunk:5.1f} ms CPU/chunk"
            f"  (same reading, chunking, embedding in one process: {base.label}); "
            f"workflow / baseline {elapsed / base.seconds:.2f}x"
        )
    met = "met" if waits.bound(0.99) <= 100 else "not met"
    print(waits.line("workflow-task schedule-to-start") + f"   goal p99 <= 100 ms: {met}")
    print(cpu.line())
    for name, before, peak, reader in zip(names, before_kb, peak_kb, readers, strict=True):
        print(
            f"{name} RSS: {before / 1024:.0f} MB before, peak {peak / 1024:.0f} MB; largest "
            f"reader process {reader.peak_kb / 1024:.0f} MB"
        )


def _cpu_worker_threads(workers: list[dict[str, str]]) -> int:
    """The threads the process serving the cpu queue embeds with (EMBEDDING_THREADS=0 rules)."""
    alone = workers[-1].get("WORKER_QUEUES") == '["cpu"]'
    return int(workers[-1].get("EMBEDDING_THREADS", "0")) or ((os.cpu_count() or 1) if alone else 1)


async def _settle(http: httpx.AsyncClient, headers: dict, source_id: str) -> dict:
    while True:
        source = (await http.get(f"/v1/sources/{source_id}", headers=headers)).json()
        if source["status"] != "processing":
            return source
        await asyncio.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--workers", choices=sorted(TOPOLOGIES), default="split", help="worker processes")
    args = parser.parse_args()
    asyncio.run(run(args.pages, args.workers))


if __name__ == "__main__":
    main()
