"""The capacity model: what each unit of work costs on this machine, and what a population needs.

`.venv/bin/python -m bench.capacity` starts a bench stack (embedded PostgreSQL, the Temporal dev
server with its metrics, the scripted OpenAI server, the API and a worker as processes), runs each
unit of work in its own phase and measures, per unit:

- CPU of the API (all its processes), the worker, Temporal and PostgreSQL (psutil, per process tree);
- PostgreSQL commits and rows written (pg_stat_database), WAL bytes (the WAL position), database
  growth (pg_database_size), upload bytes;
- Temporal actions: the server's own `action` counter, the one Temporal documents for estimating
  Temporal Cloud usage from a self-hosted server;
- LLM calls and prompt tokens (the ledger; the scripted server counts words, × 4/3 for tokens).

Then it prints the population table (bench/capacity_model.py states every assumption). The
machine is shared and has 2 cores: figures are noisy, run it twice to see the spread. The dev
server's Temporal CPU (SQLite, all services in one process) is a proxy, not a cluster's cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil
import psycopg
from temporalio.client import Client

from api.dev_auth import ensure_keypair, mint_session_token
from bench import capacity_model as model
from bench.load import run_load
from bench.stack import BenchStack
from db.engine import libpq_url
from studyflow.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
LEARNERS = 8
CORRECT = 1  # the scripted quiz's right answer is always option B
WORDS_TO_TOKENS = 4 / 3
# PostgreSQL publishes a backend's statistics when it goes idle, within 10 s (PGSTAT_IDLE_INTERVAL).
STATS_SETTLE_SECONDS = 11


@dataclass
class Counters:
    cpu: dict[str, float]
    commits: int
    rows: int
    wal_lsn: int
    db_bytes: int
    actions: float
    llm_calls: int
    prompt_words: int


def _tree_cpu(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        members = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in members:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


class Meter:
    def __init__(self, stack: BenchStack):
        self._stack = stack
        self._db = psycopg.connect(libpq_url(stack.database_url), autocommit=True)
        postmaster = stack.data_dir / "pg" / "postmaster.pid"
        self._roles = {
            "api": stack.api_pid,
            "worker": stack.worker_pids[0],
            "temporal": stack.temporal_pid,
            "postgres": int(postmaster.read_text().splitlines()[0]),
        }

    def cpu(self) -> dict[str, float]:
        return {role: _tree_cpu(pid) for role, pid in self._roles.items()}

    def rss_mb(self) -> dict[str, float]:
        """Resident memory per role now (the pods' memory requests are sized from it)."""
        sizes = {}
        for role, pid in self._roles.items():
            root = psutil.Process(pid)
            members = [root, *root.children(recursive=True)]
            sizes[role] = sum(p.memory_info().rss for p in members if p.is_running()) / 1e6
        return sizes

    def _actions(self) -> float:
        url = f"http://127.0.0.1:{self._stack.temporal_metrics_port}/metrics"
        text = urllib.request.urlopen(url, timeout=10).read().decode()
        pattern = re.compile(r'^action\{[^}]*service_name="frontend"[^}]*\} ([0-9.e+]+)$', re.MULTILINE)
        return sum(float(value) for value in pattern.findall(text))

    def read(self, cpu: dict[str, float] | None = None) -> Counters:
        row = self._db.execute(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted, "
            "pg_current_wal_lsn() - '0/0'::pg_lsn, pg_database_size(current_database()) "
            "FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        ledger = self._db.execute("SELECT count(*), coalesce(sum(prompt_tokens), 0) FROM llm_calls").fetchone()
        return Counters(
            cpu=cpu or self.cpu(),
            commits=row[0],
            rows=row[1],
            wal_lsn=int(row[2]),
            db_bytes=row[3],
            actions=self._actions(),
            llm_calls=ledger[0],
            prompt_words=int(ledger[1]),
        )

    def scalar(self, sql: str, *args):
        return self._db.execute(sql, args).fetchone()[0]


async def _wait_quiet(client: Client, timeout: float = 600) -> None:
    """Every workflow but the tutor's conversations (open until idle) has finished."""
    query = "ExecutionStatus = 'Running' AND WorkflowType != 'ConversationWorkflow'"
    deadline = time.monotonic() + timeout
    while (await client.count_workflows(query)).count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"workflows still running after {timeout}s")
        await asyncio.sleep(0.5)


async def _wait_db(meter: Meter, sql: str, expected: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while (found := meter.scalar(sql)) < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{found}/{expected} after {timeout}s: {sql}")
        await asyncio.sleep(0.25)


class Bench:
    def __init__(self, stack: BenchStack, meter: Meter, client: Client, http: aiohttp.ClientSession):
        self.stack, self.meter, self.client, self.http = stack, meter, client, http
        private_pem, _ = ensure_keypair(stack.data_dir / "dev-auth")
        self.headers = [
            {"Authorization": f"Bearer {mint_session_token(private_pem, f'capacity-{n}')}"} for n in range(LEARNERS)
        ]
        self.costs: dict[str, model.UnitCost] = {}

    async def request(self, method: str, path: str, user: int, expect: int, **kwargs) -> dict:
        async with self.http.request(method, path, headers=self.headers[user % LEARNERS], **kwargs) as response:
            body = await response.json(content_type=None)
            assert response.status == expect, (method, path, response.status, body)
            return body

    async def phase(self, name: str, units: int, work, object_bytes: int = 0) -> None:
        """Runs `work` (which returns when its units are done, workflows included) and records the
        per-unit means."""
        await _wait_quiet(self.client)
        await asyncio.sleep(STATS_SETTLE_SECONDS)
        before = self.meter.read()
        started = time.perf_counter()
        await work()
        await _wait_quiet(self.client)
        wall = time.perf_counter() - started
        cpu = self.meter.cpu()
        await asyncio.sleep(STATS_SETTLE_SECONDS)
        after = self.meter.read(cpu)

        def per(value: float) -> float:
            return value / units

        self.costs[name] = model.UnitCost(
            name=name,
            api_cpu_ms=per(after.cpu["api"] - before.cpu["api"]) * 1000,
            worker_cpu_ms=per(after.cpu["worker"] - before.cpu["worker"]) * 1000,
            temporal_cpu_ms=per(after.cpu["temporal"] - before.cpu["temporal"]) * 1000,
            postgres_cpu_ms=per(after.cpu["postgres"] - before.cpu["postgres"]) * 1000,
            commits=per(after.commits - before.commits),
            rows_written=per(after.rows - before.rows),
            wal_bytes=per(after.wal_lsn - before.wal_lsn),
            db_bytes=per(after.db_bytes - before.db_bytes),
            object_bytes=object_bytes,
            temporal_actions=per(after.actions - before.actions),
            llm_calls=per(after.llm_calls - before.llm_calls),
            prompt_tokens=per(after.prompt_words - before.prompt_words) * WORDS_TO_TOKENS,
        )
        print(f"  {name:<22} {units:>5} units in {wall:6.1f}s", flush=True)

    # --- the units ------------------------------------------------------------------------------
    async def courses(self, n: int) -> list[tuple[str, int]]:
        created: list[tuple[str, int]] = []

        async def post(i: int) -> None:
            body = await self.request("POST", "/v1/courses", i, 202, json={"topic": f"capacity topic {i}"})
            created.append((body["course_id"], i % LEARNERS))

        async def work() -> None:
            await run_load(post, n, 4)
            ids = [course for course, _ in created]
            await _wait_db(self.meter, _settled("courses", "ready", ids), len(ids))

        await self.phase("course", n, work)
        return created

    async def notes(self, courses: list[tuple[str, int]]) -> None:
        owner = dict(courses)
        topics = self.meter._db.execute(
            "SELECT DISTINCT ON (course_id) id, course_id FROM topics "
            "WHERE course_id = ANY(%s::uuid[]) ORDER BY course_id, id",
            ([c for c, _ in courses],),
        ).fetchall()

        async def post(i: int) -> None:
            topic, course = topics[i]
            await self.request("POST", f"/v1/topics/{topic}/notes", owner[str(course)], 202)

        async def work() -> None:
            await run_load(post, len(topics), 4)
            await _wait_db(self.meter, _settled("topics", "completed", [str(t) for t, _ in topics]), len(topics))

        await self.phase("notes", len(topics), work)

    async def study_content(self, courses: list[tuple[str, int]], kind: str, measure: bool) -> list[tuple[str, int]]:
        made: list[tuple[str, int]] = []

        async def post(i: int) -> None:
            course, user = courses[i]
            body = await self.request("POST", f"/v1/courses/{course}/study-content", user, 202, json={"type": kind})
            made.append((body["id"], user))

        async def work() -> None:
            await run_load(post, len(courses), 4)
            ids = [content for content, _ in made]
            await _wait_db(self.meter, _settled("study_contents", "completed", ids), len(ids))

        if measure:
            await self.phase(kind, len(courses), work)
        else:
            await work()
            await _wait_quiet(self.client)
        return made

    async def attempts(self, quizzes: list[tuple[str, int]], n: int) -> None:
        questions = {}
        for quiz, user in quizzes:
            body = await self.request("GET", f"/v1/study-content/{quiz}", user, 200)
            questions[quiz] = [q["id"] for q in body["questions"]]

        async def post(i: int) -> None:
            quiz, user = quizzes[i % len(quizzes)]
            answers = {question: CORRECT for question in questions[quiz]}
            await self.request(
                "POST", f"/v1/quizzes/{quiz}/attempts", user, 201, json={"answers": answers, "duration_seconds": 60}
            )

        await self.phase("attempt", n, lambda: run_load(post, n, 4))

    async def reviews(self, n: int) -> None:
        due = []
        for user in range(LEARNERS):
            body = await self.request("GET", "/v1/flashcards/due?limit=100", user, 200)
            due += [(card["card_id"], user) for card in body["cards"]]
        n = min(n, len(due))

        async def post(i: int) -> None:
            card, user = due[i]
            await self.request("POST", f"/v1/flashcards/{card}/reviews", user, 201, json={"rating": "good"})

        await self.phase("review", n, lambda: run_load(post, n, 4))

    async def upload(self, user: int, name: str, data: bytes) -> str:
        form = aiohttp.FormData()
        form.add_field("file", data, filename=name, content_type="application/octet-stream")
        body = await self.request("POST", "/v1/sources", user, 202, data=form)
        return body["id"]

    async def chat(self, n: int) -> None:
        document = (DATA / "chat_eval_document.md").read_bytes()
        sources = [await self.upload(user, "notes.md", document) for user in range(LEARNERS)]
        await _wait_db(self.meter, _settled("sources", "ready", sources), len(sources))
        conversations = [
            (await self.request("POST", "/v1/conversations", user, 201, json={}))["id"] for user in range(LEARNERS)
        ]
        questions = ["What does TCP acknowledge?", "What does DNS translate?", "What is a round-trip time?"]

        async def ask(i: int) -> None:
            user = i % LEARNERS
            await self.request(
                "POST",
                f"/v1/conversations/{conversations[user]}/messages?wait=true",
                user,
                200,
                json={"question": questions[i % len(questions)]},
            )

        await self.phase("chat", n, lambda: run_load(ask, n, 4))

    async def transcripts(self, n: int) -> None:
        transcript = _session_transcript(minutes=45)
        ids: list[str] = []

        async def post(i: int) -> None:
            ids.append(await self.upload(i % LEARNERS, f"session-{i}.vtt", transcript))

        async def work() -> None:
            await run_load(post, n, 2)
            await _wait_db(self.meter, _settled("sources", "ready", ids), n)

        await self.phase("transcript ingestion", n, work, object_bytes=len(transcript))

    async def gets(self, courses: list[tuple[str, int]], n: int) -> None:
        async def get(i: int) -> None:
            course, user = courses[i % len(courses)]
            async with self.http.get(f"/v1/courses/{course}", headers=self.headers[user]) as response:
                await response.read()
                assert response.status == 200

        await self.phase("get", n, lambda: run_load(get, n, 8))


def _settled(table: str, status: str, ids: list[str]) -> str:
    quoted = ",".join(f"'{i}'" for i in ids) or "NULL"
    return f"SELECT count(*) FROM {table} WHERE id IN ({quoted}) AND status = '{status}'"


def _session_transcript(minutes: int) -> bytes:
    """A tutoring session: a cue every 10 s, tutor and learner taking turns."""
    lines = ["WEBVTT", ""]
    for n in range(minutes * 6):
        start, end = n * 10, n * 10 + 9
        speaker = "Tutor" if n % 2 == 0 else "Learner"
        lines += [
            f"{start // 3600:02d}:{start // 60 % 60:02d}:{start % 60:02d}.000 --> "
            f"{end // 3600:02d}:{end // 60 % 60:02d}:{end % 60:02d}.000",
            f"{speaker}: step {n} of working through recursion, base cases and the call stack together.",
            "",
        ]
    return "\n".join(lines).encode()


def _unit_table(costs: dict[str, model.UnitCost]) -> str:
    rows = [
        "| unit | API CPU ms | worker CPU ms | Temporal CPU ms | PostgreSQL CPU ms | transactions | rows written "
        "| WAL KB | DB growth KB | upload KB | Temporal actions | LLM calls | prompt tokens |",
        "|---|" + "---:|" * 12,
    ]
    for cost in costs.values():
        name = cost.name + (" (estimated)" if cost.estimated_from else "")
        rows.append(
            f"| {name} | {cost.api_cpu_ms:.1f} | {cost.worker_cpu_ms:.1f} | {cost.temporal_cpu_ms:.1f} "
            f"| {cost.postgres_cpu_ms:.1f} | {cost.commits:.1f} | {cost.rows_written:.1f} "
            f"| {cost.wal_bytes / 1024:.1f} "
            f"| {cost.db_bytes / 1024:.1f} | {cost.object_bytes / 1024:.0f} | {cost.temporal_actions:.1f} "
            f"| {cost.llm_calls:.2f} | {cost.prompt_tokens:.0f} |"
        )
    return "\n".join(rows)


def _population_table(needs: list[model.Need]) -> str:
    def row(label: str, values: list[str]) -> str:
        return f"| {label} | " + " | ".join(values) + " |"

    lines = [
        row("learners", [f"{n.learners:,}" for n in needs]),
        "|---|" + "---:|" * len(needs),
        row("active per day", [f"{n.active:,}" for n in needs]),
        row("API cores at the peak", [f"{n.api_cores:.1f}" for n in needs]),
        row("worker cores at the peak", [f"{n.worker_cores:.1f}" for n in needs]),
        row("PostgreSQL cores at the peak", [f"{n.postgres_cores:.1f}" for n in needs]),
        row("Temporal actions/s at the peak", [f"{n.peak_actions_per_second:.1f}" for n in needs]),
        row("… against Temporal Cloud", [n.cloud_verdict for n in needs]),
        row(
            f"… self-hosted shards at {model.SELF_HOSTED_ACTIONS_PER_SHARD} actions/s each",
            [str(n.shards_needed) for n in needs],
        ),
        row("Temporal actions per month", [f"{n.actions_per_month / 1e6:.1f} M" for n in needs]),
        row("Temporal dev-server CPU at the peak (proxy)", [f"{n.temporal_cores:.1f} cores" for n in needs]),
        row("PostgreSQL rows written/s at the peak", [f"{n.writes_per_second:,.0f}" for n in needs]),
        row("PostgreSQL transactions/s at the peak (reads included)", [f"{n.commits_per_second:,.0f}" for n in needs]),
        row("database growth per month", [f"{n.storage_gb_per_month:,.1f} GB" for n in needs]),
        row("uploads growth per month", [f"{n.uploads_gb_per_month:,.1f} GB" for n in needs]),
        row("LLM cost per month", [f"${n.llm_usd_per_month:,.0f}" for n in needs]),
    ]
    return "\n".join(lines)


def report(costs: dict[str, model.UnitCost], settings: Settings) -> str:
    price = settings.llm_prices[settings.openai_model]
    needs = [
        model.need_for(learners, costs, price.input_per_million_usd, price.output_per_million_usd)
        for learners in model.POPULATIONS
    ]
    mix = ", ".join(f"{unit} {count:g}" for unit, count in model.DAILY_MIX.items())
    estimated = [f"{c.name} = {c.estimated_from}" for c in costs.values() if c.estimated_from]
    return "\n".join(
        [
            f"Measured unit costs (means per unit; {os.cpu_count()} cores, shared and noisy):",
            "",
            _unit_table(costs),
            "",
            "Estimated, not measured: " + "; ".join(estimated) + ".",
            "",
            f"Assumptions: {model.ACTIVE_SHARE:.0%} of learners active a day, each doing per day: {mix}; "
            f"the busiest hour carries {model.PEAK_HOUR_SHARE:.0%} of a day; cores sized for "
            f"{model.TARGET_UTILISATION:.0%} utilisation at that peak; LLM at {settings.openai_model} "
            f"(${price.input_per_million_usd}/M in, ${price.output_per_million_usd}/M out), input tokens "
            f"measured, output tokens assumed per unit ({model.ASSUMED_OUTPUT_TOKENS}), no cache hits.",
            "",
            _population_table(needs),
        ]
    )


async def run(scale: float) -> None:
    def n(base: int) -> int:
        return max(2, int(base * scale))

    env = {
        "BACKGROUND_NOTES_ENABLED": "false",  # each unit measured alone; the model adds them back
        "RATE_LIMIT_BURST": "100000",
        "RATE_LIMIT_PER_MINUTE": "1000000",
        "FREE_STUDY_CONTENT_PER_DAY": "100000",
        "FREE_SOURCES": "100000",
        "FREE_SOURCE_STORAGE_MB": "100000",
        "FREE_MONTHLY_LLM_BUDGET_USD": "100000",
    }
    with BenchStack(extra_env=env, temporal_metrics=True) as stack:
        settings = Settings(_env_file=None)
        meter = Meter(stack)
        client = await Client.connect(stack.temporal_address)
        async with aiohttp.ClientSession(
            base_url=f"http://127.0.0.1:{stack.api_port}",
            connector=aiohttp.TCPConnector(limit=32),
            timeout=aiohttp.ClientTimeout(total=120),
        ) as http:
            bench = Bench(stack, meter, client, http)
            for user in range(LEARNERS):  # warm-up: user rows, connections, code paths
                await bench.request("GET", "/v1/me/stats", user, 200)
            print("phases:", flush=True)
            courses = await bench.courses(n(24))
            await bench.notes(courses)
            quizzes = await bench.study_content(courses[: n(12)], "quiz", measure=True)
            await bench.study_content(courses[:LEARNERS], "flashcards", measure=False)
            await bench.attempts(quizzes, n(48))
            await bench.reviews(n(96))
            await bench.chat(n(32))
            await bench.transcripts(n(4))
            await bench.gets(courses, n(3000))
            memory = meter.rss_mb()
        costs = dict(bench.costs)
        costs["session analysis"] = model.session_analysis(costs["transcript ingestion"], costs["chat"])
        print()
        print(report(costs, settings))
        print()
        print(
            "Resident memory after the phases: "
            + ", ".join(f"{role} {mb:.0f} MB" for role, mb in memory.items())
            + f" (API: {stack.api_processes} processes and their parent)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="units per phase, relative to the defaults")
    args = parser.parse_args()
    asyncio.run(run(args.scale))


if __name__ == "__main__":
    main()
