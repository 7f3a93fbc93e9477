"""`make abuse` (run by `make chaos`): one learner tries to take the service down or spend without
limit while two others study, and the run checks that the others keep working.

The stack is production-shaped: the API as `studyflow api` with two processes, a worker process per
queue (interactive, background, and cpu niced, as `make dev` runs them), an
embedded PostgreSQL, a Temporal dev server and the scripted OpenAI server, with the product's
default limits. LLM calls are priced (`LLM_PRICES`) so the monthly budget is real; the abuser is on
the free plan with a small budget, the two bystanders on pro.

1. Quiet run (`ABUSE_QUIET_SECONDS`): the bystanders read (me, courses, dashboard, sources) in a
   loop and ask their tutor a question every few seconds (`?wait=true`), timed.
2. Abused run (`ABUSE_SECONDS`): the same, while the abuser holds as many event streams as it can
   open, loops every LLM-spending path (courses, notes, study content, new chats, questions, quiz
   attempts that earn remediation, goals met for suggestions) and uploads large files, retrying
   each at once whatever the answer (it ignores Retry-After).

Asserted: the bystanders get no 5xx and no 429; their read p99 and their tutor answer p99 in the
abused run stay within `FACTOR` of the quiet run's (or within a floor, for p99s of a few ms); the
abuser's admitted requests per path stay within its rate limits and quotas, its LLM spend within
its budget plus the calls already running when it was reached; its streams beyond the limit were
refused. Prints every figure; exits 1 on a violation.

Run: `make abuse` (or `python -m tests.chaos.abuse`)."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import pgserver
import psycopg
from temporalio.client import Client

from api.dev_auth import ensure_keypair, mint_session_token
from cli.embedded_temporal import start_dev_server
from cli.ports import wait_for_port
from db import migrate
from studyflow.settings import Settings
from tests.chaos.answer_timeline import answer_timeline
from tests.support.api_process import spawn_api
from tests.support.app import make_settings
from tests.support.live_server import free_port
from tests.support.scripted_openai import ScriptedOpenAI
from tests.support.worker_process import spawn_worker

QUIET_SECONDS = float(os.environ.get("ABUSE_QUIET_SECONDS", "30"))
ABUSE_SECONDS = float(os.environ.get("ABUSE_SECONDS", "45"))
API_PROCESSES = 2
# The bystanders' p99 in the abused run may be this many times the quiet run's, or up to the
# floor (a 5 ms quiet p99 gives no room at 5x: scheduling noise alone is more on two shared cores).
FACTOR = 5.0
READ_FLOOR_MS = 300.0
ANSWER_FLOOR_MS = 2000.0
ABUSER_LOOPS = int(os.environ.get("ABUSE_LOOPS", "2"))  # concurrent loops per path
UPLOAD_BYTES = 3 * 1024 * 1024
STREAMS_TRIED = 30
PRICE = {"input_per_million_usd": 20, "output_per_million_usd": 60}
FREE_BUDGET_USD = Decimal("0.05")
NOTES = """# {title}

## Base case
Every recursive function needs a base case: an input it answers directly, without calling itself
again. Without a base case the recursion never stops and the stack overflows.

## Recursive case
The recursive case calls the function on a smaller input, moving towards the base case.

## Memoisation
Memoisation stores the results of earlier calls so a recursive function never computes the same
input twice, which turns exponential Fibonacci into linear time.
"""
QUESTIONS = [
    "What does every recursive function need so that it stops?",
    "What does the recursive case do with its input?",
    "How does memoisation help a recursive Fibonacci?",
]


@dataclass
class Timed:
    at: float
    label: str
    status: int | None
    ms: float
    error: str = ""  # the transport error's type when there was no answer


@dataclass
class Log:
    entries: list[Timed] = field(default_factory=list)

    async def call(self, http: httpx.AsyncClient, method: str, url: str, label: str, **kwargs) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            elapsed = (time.perf_counter() - started) * 1000
            self.entries.append(Timed(time.monotonic(), label, None, elapsed, type(error).__name__))
            return None
        self.entries.append(
            Timed(time.monotonic(), label, response.status_code, (time.perf_counter() - started) * 1000)
        )
        return response


def p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# --- the stack ----------------------------------------------------------------------------------


class Stack:
    def __init__(self, root: Path, llm: ScriptedOpenAI) -> None:
        self.pg = pgserver.get_server(root / "pg", cleanup_mode="stop")
        self.pg.psql('CREATE DATABASE "studyflow";')
        self.database_url = self.pg.get_uri("studyflow")
        migrate.upgrade(self.database_url)
        port, ui_port = free_port(), free_port()
        self.temporal = start_dev_server(root / "temporal", port, ui_port, "default")
        if not wait_for_port("127.0.0.1", port, timeout=60):
            raise SystemExit("the Temporal dev server did not start")
        self.address = f"127.0.0.1:{port}"
        self.settings: Settings = make_settings(self.database_url, llm, root / "data", temporal_address=self.address)
        prices = json.dumps({"primary-model": PRICE, "fallback-model": PRICE})
        common = {"LLM_PRICES": prices, "FREE_MONTHLY_LLM_BUDGET_USD": str(FREE_BUDGET_USD), "LOG_LEVEL": "ERROR"}
        # As `make dev` and the Kubernetes manifests run them: a process per queue, the cpu one at a
        # lower priority.
        self.workers = [
            spawn_worker(self.settings, self.address, WORKER_QUEUES=f'["{queue}"]', **common)
            for queue in ("interactive", "background", "cpu")
        ]
        # The product's default limits (nothing here raises them), on two API processes.
        self.api, self.base_url = spawn_api(self.settings, self.address, processes=API_PROCESSES, **common)

    def stop(self) -> None:
        # Workers first and at once (the abuser's ingestion could keep them draining for minutes),
        # then the API, then the Temporal server they talk to.
        for process in self.workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        for process in (self.api, self.temporal):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (*self.workers, self.api, self.temporal):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.print_deadlocks()
        self.pg.cleanup()

    def print_deadlocks(self) -> None:
        """PostgreSQL's own account of any deadlock (which statements waited on which), before the
        data directory goes: the API answers one with 503 and names nothing more."""
        lines = self.pg.log.read_text(errors="replace").splitlines() if self.pg.log.exists() else []
        for n, line in enumerate(lines):
            if "deadlock detected" in line:
                print("PostgreSQL:", *lines[n : n + 12], sep="\n  ")


# --- learners -----------------------------------------------------------------------------------


class Learner:
    def __init__(self, name: str, token: str, base_url: str) -> None:
        self.name = name
        self.headers = {"Authorization": f"Bearer {token}"}
        self.http = httpx.AsyncClient(base_url=base_url, headers=self.headers, timeout=60)
        self.log = Log()

    async def poll(self, url: str, done: set[str], timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = await self.http.get(url)
            if response.status_code == 200 and response.json().get("status") in done:
                return response.json()
            await asyncio.sleep(0.5)
        raise SystemExit(f"{self.name}: {url} did not reach {done} in {timeout:.0f} s")

    async def upload(self, name: str, data: bytes) -> httpx.Response | None:
        return await self.log.call(
            self.http, "POST", "/v1/sources", "POST /v1/sources", files={"file": (name, data, "text/markdown")}
        )


class Bystander(Learner):
    def __init__(self, name: str, token: str, base_url: str) -> None:
        super().__init__(name, token, base_url)
        self.asked: list[tuple[str, Timed]] = []  # (request_id, its timing)

    async def prepare(self) -> None:
        uploaded = await self.upload(f"{self.name}-recursion.md", NOTES.format(title=self.name).encode())
        assert uploaded is not None and uploaded.status_code == 202, uploaded and uploaded.text
        await self.poll(f"/v1/sources/{uploaded.json()['id']}", {"ready"})
        created = await self.http.post("/v1/conversations", json={})
        assert created.status_code == 201, created.text
        self.conversation = created.json()["id"]

    async def study(self, until: float, phase: str) -> None:
        await asyncio.gather(self._read(until, phase), self._ask(until, phase))

    async def _read(self, until: float, phase: str) -> None:
        urls = ["/v1/me", "/v1/courses", "/v1/dashboard", "/v1/sources"]
        n = 0
        while time.monotonic() < until:
            await self.log.call(self.http, "GET", urls[n % len(urls)], f"{phase} read")
            n += 1
            await asyncio.sleep(0.05)

    async def _ask(self, until: float, phase: str) -> None:
        n = 0
        while time.monotonic() < until:
            request_id = uuid.uuid4().hex
            await self.log.call(
                self.http,
                "POST",
                f"/v1/conversations/{self.conversation}/messages",
                f"{phase} answer",
                params={"wait": "true"},
                json={"question": QUESTIONS[n % len(QUESTIONS)], "request_id": request_id},
            )
            self.asked.append((request_id, self.log.entries[-1]))
            n += 1
            await asyncio.sleep(6.5)  # within the tutor's rate (10 a minute, 5 at once)


class Abuser(Learner):
    streams_opened = 0
    streams_refused = 0
    streams_failed: tuple[int, ...] = ()  # statuses other than 200 and 429

    async def prepare(self) -> None:
        created = await self.http.post("/v1/courses", json={"topic": "Recursion for the abuser"})
        assert created.status_code == 202, created.text
        self.course = await self.poll(f"/v1/courses/{created.json()['course_id']}", {"ready"})
        quiz = await self.http.post(f"/v1/courses/{self.course['id']}/study-content", json={"type": "quiz"})
        assert quiz.status_code in (200, 202), quiz.text
        self.quiz = await self.poll(f"/v1/study-content/{quiz.json()['id']}", {"completed"})
        self.conversation = (await self.http.post("/v1/conversations", json={})).json()["id"]

    def state(self) -> dict:
        return {"course": self.course, "quiz": self.quiz, "conversation": self.conversation}

    async def abuse(self, until: float) -> None:
        async with httpx.AsyncClient(base_url=str(self.http.base_url), timeout=None) as streams:
            held = await asyncio.gather(*[self._open_stream(streams) for _ in range(STREAMS_TRIED)])
            loops = [
                self._courses,
                self._notes,
                self._study_content,
                self._conversations,
                self._questions,
                self._attempts,
                self._goals,
                self._uploads,
            ]
            skip = set(filter(None, os.environ.get("ABUSE_SKIP", "").split(",")))  # to find what hurts
            loops = [loop for loop in loops if loop.__name__.strip("_") not in skip]
            await asyncio.gather(*[loop(until) for loop in loops for _ in range(ABUSER_LOOPS)])
            for response in held:
                if response is not None:
                    await response.aclose()

    async def _open_stream(self, streams: httpx.AsyncClient) -> httpx.Response | None:
        request = streams.build_request("GET", "/v1/events", headers=self.headers)
        response = await streams.send(request, stream=True)
        if response.status_code == 200:
            self.streams_opened += 1
            return response
        if response.status_code == 429:
            self.streams_refused += 1
        else:
            self.streams_failed = (*self.streams_failed, response.status_code)
        await response.aclose()
        return None

    async def _courses(self, until: float) -> None:
        while time.monotonic() < until:
            await self.log.call(
                self.http, "POST", "/v1/courses", "course", json={"topic": f"Spam topic {uuid.uuid4().hex[:8]}"}
            )

    async def _notes(self, until: float) -> None:
        topics = [t["id"] for chapter in self.course["chapters"] for t in chapter["topics"]]
        n = 0
        while time.monotonic() < until:
            await self.log.call(self.http, "POST", f"/v1/topics/{topics[n % len(topics)]}/notes", "notes")
            n += 1

    async def _study_content(self, until: float) -> None:
        n = 0
        while time.monotonic() < until:
            kind = ("flashcards", "quiz")[n % 2]
            await self.log.call(
                self.http,
                "POST",
                f"/v1/courses/{self.course['id']}/study-content",
                "study_content",
                json={"type": kind},
            )
            n += 1

    async def _conversations(self, until: float) -> None:
        while time.monotonic() < until:
            await self.log.call(self.http, "POST", "/v1/conversations", "conversation", json={})

    async def _questions(self, until: float) -> None:
        while time.monotonic() < until:
            await self.log.call(
                self.http,
                "POST",
                f"/v1/conversations/{self.conversation}/messages",
                "question",
                json={"question": f"{QUESTIONS[0]} ({uuid.uuid4().hex[:6]})"},
            )

    async def _attempts(self, until: float) -> None:
        wrong = {q["id"]: 3 for q in self.quiz["questions"]}  # every answer wrong: a remediation plan
        while time.monotonic() < until:
            await self.log.call(
                self.http, "POST", f"/v1/quizzes/{self.quiz['id']}/attempts", "attempt", json={"answers": wrong}
            )

    async def _goals(self, until: float) -> None:
        while time.monotonic() < until:
            goal = await self.log.call(
                self.http, "POST", "/v1/goals", "goal", json={"kind": "daily_minutes", "target": 1, "days": 1}
            )
            if goal is not None and goal.status_code == 201:
                await self.log.call(self.http, "POST", f"/v1/goals/{goal.json()['id']}/complete", "suggestions")

    async def _uploads(self, until: float) -> None:
        # One body made once (generating 3 MB per upload cost the client more than the server);
        # a new first line makes each a different file.
        body = " ".join(f"word{n % 5000}" for n in range(UPLOAD_BYTES // 9)).encode()
        while time.monotonic() < until:
            await self.upload(f"big-{uuid.uuid4().hex[:6]}.md", f"# Big {uuid.uuid4()}\n\n".encode() + body)


# --- the checks ---------------------------------------------------------------------------------


def phase_figures(bystanders: list[Bystander], phase: str) -> dict:
    entries = [e for b in bystanders for e in b.log.entries if e.label.startswith(phase)]
    reads = [e.ms for e in entries if e.label.endswith("read") and e.status == 200]
    answers = [e.ms for e in entries if e.label.endswith("answer") and e.status == 200]
    return {
        "reads": len(reads),
        "read_p50_ms": round(p(reads, 0.5), 1),
        "read_p99_ms": round(p(reads, 0.99), 1),
        "answers": len(answers),
        "answer_p50_ms": round(p(answers, 0.5), 1),
        "answer_p99_ms": round(p(answers, 0.99), 1),
        "statuses": dict(collections.Counter(e.status for e in entries)),
    }


def limits_of(settings: Settings, seconds: float) -> dict[str, int]:
    """The most new work a learner can have admitted per kind in `seconds` (buckets full at the
    start, as they are for a learner who was idle), and the daily quotas."""
    minutes = seconds / 60

    def bucket(burst: int, per_minute: float) -> int:
        return int(burst + per_minute * minutes)

    return {
        # Courses, study content and uploads take tokens from one generation bucket (and notes
        # requests too, which are not counted here: a course's notes are in its own bound below).
        "generation (courses + study content + sources)": bucket(
            settings.rate_limit_burst, settings.rate_limit_per_minute
        ),
        "courses today (daily quota)": settings.free_courses_per_day,
        "study content today (daily quota)": settings.free_study_content_per_day,
        "sources kept (quota)": settings.free_sources,
        "new chats": bucket(settings.conversation_rate_burst, settings.conversations_per_hour / 60),
        "questions": bucket(settings.chat_rate_burst, settings.chat_rate_per_minute),
        "attempts on the quiz": bucket(settings.quiz_attempts_burst, settings.quiz_attempts_per_hour / 60),
        "new goals": bucket(settings.goal_rate_burst, settings.goals_per_hour / 60),
    }


def llm_bound(settings: Settings, work: dict[str, int]) -> int:
    """The most LLM calls that admitted work can make when every call succeeds: a course its
    outline and every topic's notes; a study-content set its items and one rewrite round; a
    remediation plan one call per weak topic (at most a quiz's questions); suggestions one run
    within their own limit (beyond it, from the learner's history); a question one answer."""
    topics = settings.outline_chapters * settings.outline_max_topics
    return (
        work["courses"] * (1 + topics)
        + work["study content"] * 2
        + work["attempts"] * settings.quiz_questions
        + min(work["goals met"], settings.suggestions_burst)
        + work["questions"]
    )


def main_checks(stack: Stack, bystanders: list[Bystander], abuser: Abuser, abuse_started: float) -> list[str]:
    problems: list[str] = []
    quiet, abused = phase_figures(bystanders, "quiet"), phase_figures(bystanders, "abused")
    print("bystanders, quiet: ", quiet)
    print("bystanders, abused:", abused)
    for phase, figures in (("quiet", quiet), ("abused", abused)):
        bad = {s: n for s, n in figures["statuses"].items() if s is None or s >= 500 or s == 429}
        if bad:
            problems.append(f"bystanders got {bad} in the {phase} run")
        if not figures["answers"] or not figures["reads"]:
            problems.append(f"bystanders got no answers or reads in the {phase} run: {figures}")
    for what, floor in (("read", READ_FLOOR_MS), ("answer", ANSWER_FLOOR_MS)):
        allowed = max(FACTOR * quiet[f"{what}_p99_ms"], floor)
        ratio = abused[f"{what}_p99_ms"] / max(quiet[f"{what}_p99_ms"], 0.001)
        print(
            f"  {what} p99: {quiet[f'{what}_p99_ms']} → {abused[f'{what}_p99_ms']} ms "
            f"({ratio:.1f}×; allowed {allowed:.0f} ms)"
        )
        if not abused[f"{what}_p99_ms"] <= allowed:
            problems.append(f"bystander {what} p99 {abused[f'{what}_p99_ms']} ms exceeds {allowed:.0f} ms")

    seconds = time.monotonic() - abuse_started
    sent = collections.Counter(e.label for e in abuser.log.entries)
    answered = collections.Counter(e.label for e in abuser.log.entries if e.status is not None and e.status < 300)
    refused = collections.Counter(e.label for e in abuser.log.entries if e.status == 429)
    server_errors = [e for e in abuser.log.entries if e.status is None or e.status >= 500]
    print(f"abuser over {seconds:.0f} s: sent {dict(sent)}")
    print(f"  answered 2xx {dict(answered)}; refused 429 {dict(refused)}")
    if server_errors:
        kinds = collections.Counter((e.label, e.status or e.error) for e in server_errors)
        slowest = max(e.ms for e in server_errors)
        problems.append(
            f"the abuser got {len(server_errors)} answers that were 5xx or none: "
            f"{', '.join(f'{label} → {status} ×{n}' for (label, status), n in kinds.items())} "
            f"(slowest {slowest:.0f} ms)"
        )
    defaults = Settings(_env_file=None)  # the limits the API runs with: nothing raised them
    # The run's length plus the preparation's minute: buckets refill from their last use.
    limits = limits_of(defaults, seconds + 60)
    with psycopg.connect(stack.database_url) as conn:
        counts = dict(
            conn.execute(
                """
                WITH me AS (SELECT id FROM users WHERE clerk_id = %(a)s)
                SELECT 'courses', count(*) FROM courses WHERE owner_id = (SELECT id FROM me)
                UNION ALL SELECT 'study content', count(*) FROM study_contents s JOIN courses c
                    ON c.id = s.course_id WHERE c.owner_id = (SELECT id FROM me)
                UNION ALL SELECT 'sources', count(*) FROM sources WHERE owner_id = (SELECT id FROM me)
                UNION ALL SELECT 'chats', count(*) FROM conversations WHERE owner_id = (SELECT id FROM me)
                UNION ALL SELECT 'questions', count(*) FROM conversation_messages m JOIN conversations c
                    ON c.id = m.conversation_id WHERE c.owner_id = (SELECT id FROM me) AND m.role = 'learner'
                UNION ALL SELECT 'attempts', count(*) FROM quiz_attempts WHERE user_id = (SELECT id FROM me)
                UNION ALL SELECT 'goals', count(*) FROM goals WHERE user_id = (SELECT id FROM me)
                UNION ALL SELECT 'goals met', count(*) FROM goals WHERE user_id = (SELECT id FROM me)
                    AND status = 'met'
                """,
                {"a": abuser.name},
            ).fetchall()
        )
        calls = conn.execute(
            "SELECT l.purpose, count(*), coalesce(sum(l.cost_usd), 0) FROM llm_calls l "
            "JOIN users u ON u.id = l.user_id WHERE u.clerk_id = %s GROUP BY 1 ORDER BY 1",
            (abuser.name,),
        ).fetchall()
    # The preparation made one course, one quiz and one chat before the run.
    admitted = {
        "generation (courses + study content + sources)": counts["courses"]
        - 1
        + counts["study content"]
        - 1
        + counts["sources"],
        "courses today (daily quota)": counts["courses"],
        "study content today (daily quota)": counts["study content"],
        "sources kept (quota)": counts["sources"],
        "new chats": counts["chats"] - 1,
        "questions": counts["questions"],
        "attempts on the quiz": counts["attempts"],
        "new goals": counts["goals"],
    }
    print(f"  new work admitted (from the database) against the limits for {seconds + 60:.0f} s:")
    for name, count in admitted.items():
        verdict = "ok" if count <= limits[name] else "OVER"
        print(f"    {name}: {count} of at most {limits[name]} ({verdict})")
        if count > limits[name]:
            problems.append(f"the abuser's {name}: {count}, more than the limit {limits[name]}")
    total_calls = sum(n for _, n, _ in calls)
    spent = sum((cost for _, _, cost in calls), Decimal(0))
    bound = llm_bound(defaults, counts)
    print(f"  LLM calls caused by the abuser: {total_calls} ({', '.join(f'{p}: {n}' for p, n, _ in calls)})")
    print(f"    at most {bound} for the work its limits admitted ({counts})")
    print(f"  its LLM spend: ${spent:.4f}; monthly budget ${FREE_BUDGET_USD} (checked when work is admitted)")
    print(f"  event streams: {abuser.streams_opened} open, {abuser.streams_refused} refused (429)")
    if total_calls > bound:
        problems.append(f"the abuser caused {total_calls} LLM calls, more than the {bound} its admitted work may make")
    if spent >= FREE_BUDGET_USD and not any(e.status == 429 for e in abuser.log.entries[-50:]):
        problems.append("over its budget, the abuser was still admitted at the end of the run")
    allowed_streams = API_PROCESSES * defaults.events_max_streams_per_user
    if abuser.streams_opened > allowed_streams or abuser.streams_refused < STREAMS_TRIED - allowed_streams:
        problems.append(f"streams: {abuser.streams_opened} opened, more than {allowed_streams}")
    # Each API process lets the learner hold its limit: at least one process's worth must open.
    if abuser.streams_opened < defaults.events_max_streams_per_user or abuser.streams_failed:
        problems.append(
            f"streams: {abuser.streams_opened} opened (at least {defaults.events_max_streams_per_user} may), "
            f"answers other than 200 and 429: {list(abuser.streams_failed)}"
        )
    return problems


async def print_slowest_answer(stack: Stack, bystanders: list[Bystander]) -> None:
    """The abused run's slowest bystander answer, stage by stage, from its workflow's history."""
    answered = [(e.ms, b, request_id) for b in bystanders for request_id, e in b.asked if e.label == "abused answer"]
    if not answered:
        return
    ms, bystander, request_id = max(answered, key=lambda a: a[0])
    with psycopg.connect(stack.database_url) as conn:
        row = conn.execute("SELECT workflow_id FROM conversations WHERE id = %s", (bystander.conversation,)).fetchone()
    client = await Client.connect(stack.address)
    print(f"the slowest bystander answer ({ms:.0f} ms at the client), from its workflow history:")
    for line in await answer_timeline(client, row[0], request_id):
        print("  ", line)


async def run_abuser(arguments: dict) -> None:
    """The abuser in a process of its own: its loops must not slow the bystanders' client, whose
    timings would then measure this process rather than the server."""
    abuser = Abuser(arguments["name"], arguments["token"], arguments["base_url"])
    abuser.course, abuser.quiz, abuser.conversation = (arguments[k] for k in ("course", "quiz", "conversation"))
    await abuser.abuse(time.monotonic() + arguments["seconds"])
    await abuser.http.aclose()
    Path(arguments["out"]).write_text(
        json.dumps(
            {
                "entries": [vars(e) for e in abuser.log.entries],
                "streams_opened": abuser.streams_opened,
                "streams_refused": abuser.streams_refused,
                "streams_failed": abuser.streams_failed,
            }
        )
    )


async def abuse_from_another_process(abuser: Abuser, seconds: float, directory: Path) -> None:
    out = directory / "abuser.json"
    arguments = {
        "name": abuser.name,
        "token": abuser.headers["Authorization"].removeprefix("Bearer "),
        "base_url": str(abuser.http.base_url),
        "seconds": seconds,
        "out": str(out),
        **abuser.state(),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.chaos.abuse", "--abuser", json.dumps(arguments)
    )
    if await process.wait() != 0:
        raise SystemExit("the abuser's process failed")
    result = json.loads(out.read_text())
    abuser.log.entries = [Timed(**e) for e in result["entries"]]
    abuser.streams_opened, abuser.streams_refused = result["streams_opened"], result["streams_refused"]
    abuser.streams_failed = tuple(result["streams_failed"])


async def main() -> int:
    started = time.monotonic()
    llm = ScriptedOpenAI().start()
    with tempfile.TemporaryDirectory(prefix="studyflow-abuse-") as directory:
        print("▸ starting PostgreSQL, Temporal, the scripted LLM, three workers and the API (2 processes)", flush=True)
        stack = await asyncio.to_thread(Stack, Path(directory), llm)
        try:
            private_pem, _ = ensure_keypair(stack.settings.dev_key_dir)
            names = [f"bystander-{i}-{uuid.uuid4().hex[:6]}" for i in range(2)]
            bystanders = [Bystander(n, mint_session_token(private_pem, n), stack.base_url) for n in names]
            abuser_name = f"abuser-{uuid.uuid4().hex[:6]}"
            abuser = Abuser(abuser_name, mint_session_token(private_pem, abuser_name), stack.base_url)
            for learner in (*bystanders, abuser):
                assert (await learner.http.get("/v1/me")).status_code == 200
            with psycopg.connect(stack.database_url) as conn:
                conn.execute("UPDATE users SET plan = 'pro' WHERE clerk_id = ANY(%s)", (names,))
            print("▸ preparing: the bystanders' material and chats, the abuser's course and quiz", flush=True)
            await asyncio.gather(*[b.prepare() for b in bystanders], abuser.prepare())
            # A 1-minute load well above what the stack makes names a machine busy with something
            # else (a process an earlier step left running), which both runs' p99s would carry.
            print(f"▸ quiet run: {QUIET_SECONDS:.0f} s (load average {os.getloadavg()[0]:.1f})", flush=True)
            until = time.monotonic() + QUIET_SECONDS
            await asyncio.gather(*[b.study(until, "quiet") for b in bystanders])
            print(f"▸ abused run: {ABUSE_SECONDS:.0f} s (load average {os.getloadavg()[0]:.1f})", flush=True)
            abuse_started = time.monotonic()
            until = abuse_started + ABUSE_SECONDS
            await asyncio.gather(
                *[b.study(until, "abused") for b in bystanders],
                abuse_from_another_process(abuser, ABUSE_SECONDS, Path(directory)),
            )
            problems = main_checks(stack, bystanders, abuser, abuse_started)
            await print_slowest_answer(stack, bystanders)
            for learner in (*bystanders, abuser):
                await learner.http.aclose()
        finally:
            await asyncio.to_thread(stack.stop)
            llm.stop()
    print(f"duration {time.monotonic() - started:.0f} s")
    if problems:
        print(f"✗ {len(problems)} violation(s):")
        for problem in problems:
            print("  -", problem)
        return 1
    print("✓ the bystanders kept working and the abuser stayed within its limits")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--abuser"]:
        asyncio.run(run_abuser(json.loads(sys.argv[2])))
    else:
        sys.exit(asyncio.run(main()))
