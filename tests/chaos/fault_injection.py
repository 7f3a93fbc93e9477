"""`make chaos`: the whole stack under a steady load of learners while faults hit it.

API and worker run as their own processes against an embedded PostgreSQL, a Temporal dev server
(SQLite file, so it can be restarted without losing history) and the scripted OpenAI server.
Learners create courses, notes, flashcards, quizzes and attempts, honouring 429/503 Retry-After
like a real client. Meanwhile the worker is SIGKILLed (and restarted) at least five times,
PostgreSQL and the Temporal server are restarted, and the LLM storms: 100 % 429 on the primary,
then 500s on both endpoints, malformed JSON, replies slower than the timeout.

After the load stops it waits for quiescence and checks: no accepted request lost, no row stuck
in progress, no duplicate topic/card/question/notification, no LLM reply paid twice under one
idempotency key, progress counters equal to the rows, quotas equal to what was accepted, and
every API answer a 2xx, a 4xx or a 503 with Retry-After (never a 500, never a hang past the
client timeout). Prints the fault timeline and the counts; exits 1 on any violation.

Run: `make chaos` (or `python -m tests.chaos.fault_injection`)."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pgserver
import psycopg

from api.dev_auth import ensure_keypair, mint_session_token
from cli.embedded_temporal import start_dev_server
from cli.ports import wait_for_port
from cli.schedules import reconcile_schedule
from db import migrate
from studyflow.temporal_client import connect
from tests.support.api_process import spawn_api
from tests.support.app import make_settings
from tests.support.live_server import free_port
from tests.support.scripted_openai import Reply, ScriptedOpenAI
from tests.support.worker_process import spawn_worker

LEARNERS = int(os.environ.get("CHAOS_LEARNERS", "4"))
LOAD_SECONDS = float(os.environ.get("CHAOS_LOAD_SECONDS", "110"))
QUIESCENCE_SECONDS = 240
CLIENT_TIMEOUT = 30.0
LLM_TIMEOUT = 4.0
# Rows failed with their quota given back: the reconciler's, and a generation Temporal refused to start.
REFUNDED = (
    "Generation was interrupted and could not be resumed; request it again.",
    "could not start generation; request it again",
)


@dataclass
class Record:
    at: float
    label: str
    status: int | None  # None: no answer (transport error or timeout)
    retry_after: bool
    error: str = ""


@dataclass
class Ledger:
    started: float = field(default_factory=time.monotonic)
    answers: list[Record] = field(default_factory=list)
    timeline: list[tuple[float, str]] = field(default_factory=list)
    courses: dict[str, list[str]] = field(default_factory=lambda: collections.defaultdict(list))
    contents: list[str] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.started

    def fault(self, text: str) -> None:
        self.timeline.append((self.now(), text))
        done = sum(1 for r in self.answers if r.label.startswith("POST") and r.status in (200, 201, 202))
        print(f"  {self.now():6.1f}s  {text}  (accepted so far: {done})", flush=True)


class Stack:
    """The processes the faults hit, each restartable."""

    def __init__(self, root: Path, llm: ScriptedOpenAI) -> None:
        self.root = root
        self.pg = pgserver.get_server(root / "pg", cleanup_mode="stop")
        self.pg.psql('CREATE DATABASE "studyflow";')
        self.database_url = self.pg.get_uri("studyflow")
        migrate.upgrade(self.database_url)
        self.temporal_port, self.temporal_ui_port = free_port(), free_port()
        self.temporal = self._start_temporal()
        self.address = f"127.0.0.1:{self.temporal_port}"
        self.settings = make_settings(
            self.database_url,
            llm,
            root / "data",
            temporal_address=self.address,
            reconcile_interval_seconds=5,
            outbox_relay_after_seconds=5,
            reconcile_stuck_after_seconds=60,
        )
        self.worker_env = {
            "LLM_TIMEOUT_SECONDS": str(LLM_TIMEOUT),
            "LOG_LEVEL": os.environ.get("CHAOS_WORKER_LOG_LEVEL", "ERROR"),
        }
        self._worker_lock = threading.Lock()
        self._stopped = False
        self.worker = spawn_worker(self.settings, self.address, **self.worker_env)
        self.api, self.base_url = spawn_api(
            self.settings,
            self.address,
            FREE_COURSES_PER_DAY="100000",
            FREE_STUDY_CONTENT_PER_DAY="100000",
            RATE_LIMIT_BURST="100000",
            RATE_LIMIT_PER_MINUTE="1000000",
            BACKGROUND_NOTES_ENABLED="false",
            # Enough attempts, backing off briefly, that work outlives a storm of a few seconds.
            LLM_MAX_ATTEMPTS="10",
            LLM_RETRY_INITIAL_SECONDS="0.5",
            LLM_RETRY_MAX_SECONDS="4",
            LLM_HEARTBEAT_TIMEOUT_SECONDS="10",
            LOG_LEVEL="ERROR",
        )

    def _start_temporal(self) -> subprocess.Popen:
        server = start_dev_server(self.root / "temporal", self.temporal_port, self.temporal_ui_port, "default")
        if not wait_for_port("127.0.0.1", self.temporal_port, timeout=60):
            raise SystemExit("the Temporal dev server did not start")
        return server

    def kill_worker(self) -> None:
        # Under the lock: the supervisor polling meanwhile saw the killed worker as one that had
        # exited by itself and started a second, which this then overwrote — an orphan that
        # outlived the run (found after a rehearsal, retrying a Temporal server long gone).
        with self._worker_lock:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait()
            self.worker = spawn_worker(self.settings, self.address, **self.worker_env)

    def restart_exited_worker(self) -> int | None:
        """The exit code of a worker that exited by itself, now started again; None while it runs."""
        with self._worker_lock:
            code = None if self._stopped else self.worker.poll()
            if code is not None:
                self.worker = spawn_worker(self.settings, self.address, **self.worker_env)
            return code

    def restart_postgres(self) -> None:
        pgserver.pg_ctl(["-w", "-m", "fast", "restart"], pgdata=self.pg.pgdata, user=self.pg.system_user)

    def restart_temporal(self) -> None:
        self.temporal.terminate()
        self.temporal.wait(timeout=30)
        time.sleep(2)  # a real outage, not a blink
        self.temporal = self._start_temporal()

    def stop(self) -> None:
        with self._worker_lock:  # no worker started after this one is stopped
            self._stopped = True
            processes = (self.api, self.worker, self.temporal)
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            # After `restart_postgres` pgserver's handle still names the first postmaster, so its
            # cleanup alone left the restarted one running once the run was over.
            try:
                pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pg.pgdata, user=self.pg.system_user)
            except subprocess.CalledProcessError:
                pass  # already stopped
            self.pg.cleanup()


# --- the learners ---------------------------------------------------------------------------


class Learner:
    def __init__(self, name: str, token: str, http: httpx.AsyncClient, ledger: Ledger, stop_at: float) -> None:
        self.name, self.http, self.ledger, self.stop_at = name, http, ledger, stop_at
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, url: str, label: str, *, give_up_at: float, **kwargs) -> httpx.Response | None:
        """One request as a patient client: retried after 429/503 as told, until `give_up_at`."""
        headers = {**self.headers, **kwargs.pop("headers", {})}
        while True:
            try:
                response = await self.http.request(method, url, headers=headers, **kwargs)
            except httpx.HTTPError as exc:
                self.ledger.answers.append(Record(self.ledger.now(), label, None, False, type(exc).__name__))
                return None
            retry_after = response.headers.get("Retry-After")
            self.ledger.answers.append(Record(self.ledger.now(), label, response.status_code, retry_after is not None))
            if response.status_code not in (429, 503) or time.monotonic() > give_up_at:
                return response
            await asyncio.sleep(min(float(retry_after or 1), 5))

    async def poll(self, url: str, label: str, done: set[str], timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = await self.call("GET", url, label, give_up_at=deadline)
            if response is not None and response.status_code == 200 and response.json().get("status") in done:
                return response.json()
            await asyncio.sleep(1)
        return None

    async def run(self) -> None:
        round_number = 0
        while time.monotonic() < self.stop_at:
            round_number += 1
            await self.study_round(round_number)

    async def study_round(self, round_number: int) -> None:
        give_up = self.stop_at + 30
        topic = f"chaos {self.name} round {round_number} {uuid.uuid4().hex[:6]}"
        created = await self.call("POST", "/v1/courses", "POST /v1/courses", give_up_at=give_up, json={"topic": topic})
        if created is None or created.status_code != 202:
            return
        course_id = created.json()["course_id"]
        self.ledger.courses[self.name].append(course_id)
        course = await self.poll(f"/v1/courses/{course_id}", "GET /v1/courses/{id}", {"ready", "failed"}, 120)
        if course is None or course["status"] != "ready":
            return
        first_topic = course["chapters"][0]["topics"][0]["id"]
        await self.call("POST", f"/v1/topics/{first_topic}/notes", "POST /v1/topics/{id}/notes", give_up_at=give_up)
        quiz_id = None
        for kind in ("flashcards", "quiz"):
            requested = await self.call(
                "POST",
                f"/v1/courses/{course_id}/study-content",
                "POST study-content",
                give_up_at=give_up,
                json={"type": kind},
            )
            if requested is not None and requested.status_code in (200, 202):
                self.ledger.contents.append(requested.json()["id"])
                quiz_id = requested.json()["id"] if kind == "quiz" else quiz_id
        if quiz_id is None:
            return
        quiz = await self.poll(
            f"/v1/study-content/{quiz_id}", "GET /v1/study-content/{id}", {"completed", "failed"}, 120
        )
        if quiz is None or quiz["status"] != "completed":
            return
        answers = {question["id"]: 0 for question in quiz["questions"]}
        key = uuid.uuid4().hex
        attempt = await self.call(
            "POST",
            f"/v1/quizzes/{quiz_id}/attempts",
            "POST /v1/quizzes/{id}/attempts",
            give_up_at=give_up,
            json={"answers": answers},
            headers={"Idempotency-Key": key},
        )
        if attempt is not None and attempt.status_code == 201:
            self.ledger.attempts.append(attempt.json()["attempt_id"])


# --- the faults -----------------------------------------------------------------------------


def primary_rate_limited(provider: str) -> Reply | None:
    return Reply.error(429, "rate limited", headers={"Retry-After": "1"}) if provider == "primary" else None


def everything_fails(_: str) -> Reply:
    return Reply.error(500, "internal error")


def malformed_json(_: str) -> Reply:
    return Reply.text('{"title": "cut off", "chapters": [{"title": ')


def slower_than_the_timeout(_: str) -> Reply:
    return Reply.auto(delay=LLM_TIMEOUT + 2)


async def inject_faults(stack: Stack, llm: ScriptedOpenAI, ledger: Ledger) -> None:
    plan: list[tuple[float, str, object]] = [
        (8, "SIGKILL worker (restarted at once)", stack.kill_worker),
        (20, "SIGKILL worker (restarted at once)", stack.kill_worker),
        (28, "restart PostgreSQL (pg_ctl restart -m fast)", stack.restart_postgres),
        (38, "SIGKILL worker (restarted at once)", stack.kill_worker),
        (52, "SIGKILL worker (restarted at once)", stack.kill_worker),
        (46, "restart the Temporal server (2 s down)", stack.restart_temporal),
        (58, "LLM storm: 100 % 429 on the primary", lambda: setattr(llm, "fault", primary_rate_limited)),
        (66, "SIGKILL worker (restarted at once)", stack.kill_worker),
        (72, "LLM storm: 500 on both endpoints", lambda: setattr(llm, "fault", everything_fails)),
        (80, "LLM storm: malformed JSON", lambda: setattr(llm, "fault", malformed_json)),
        (86, "LLM storm: replies slower than the timeout", lambda: setattr(llm, "fault", slower_than_the_timeout)),
        (94, "LLM storm over", lambda: setattr(llm, "fault", None)),
        (98, "SIGKILL worker (restarted at once)", stack.kill_worker),
    ]
    for at, text, action in plan:
        await asyncio.sleep(max(0, at - ledger.now()))
        ledger.fault(text)
        await asyncio.to_thread(action)


async def supervise(stack: Stack, ledger: Ledger, until: float) -> None:
    """What an orchestrator does (compose's `restart: unless-stopped`): a worker that exits on its
    own is started again, and the timeline says so, since it should not happen."""
    while time.monotonic() < until:
        await asyncio.sleep(1)
        code = await asyncio.to_thread(stack.restart_exited_worker)
        if code is not None:
            ledger.fault(f"worker exited by itself (code {code}); restarted")


# --- the checks -----------------------------------------------------------------------------


def wait_for_quiescence(database_url: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < QUIESCENCE_SECONDS:
        if not in_progress(database_url):
            return time.monotonic() - started
        time.sleep(2)
    return time.monotonic() - started


def in_progress(database_url: str) -> dict[str, int]:
    queries = {
        "courses generating": "SELECT count(*) FROM courses WHERE status = 'generating'",
        "topics generating": "SELECT count(*) FROM topics WHERE status = 'generating'",
        "study content generating": "SELECT count(*) FROM study_contents WHERE status = 'generating'",
        "remediation generating": "SELECT count(*) FROM remediation_plans WHERE status = 'generating'",
        "workflow starts not made": "SELECT count(*) FROM workflow_outbox WHERE started_at IS NULL",
    }
    with psycopg.connect(database_url) as conn:
        found = {name: conn.execute(sql).fetchone()[0] for name, sql in queries.items()}
    return {name: count for name, count in found.items() if count}


def check_invariants(database_url: str, ledger: Ledger, clerk_ids: dict[str, str]) -> list[str]:
    problems: list[str] = []
    stuck = in_progress(database_url)
    if stuck:
        problems.append(f"stuck after quiescence: {stuck}")
    accepted_courses = [c for ids in ledger.courses.values() for c in ids]
    with psycopg.connect(database_url) as conn:

        def scalar(sql: str, *args) -> int:
            return conn.execute(sql, args).fetchone()[0]

        found = scalar("SELECT count(*) FROM courses WHERE id = ANY(%s::uuid[])", accepted_courses)
        if found != len(accepted_courses):
            problems.append(f"lost courses: {len(accepted_courses) - found} of {len(accepted_courses)} accepted")
        found = scalar("SELECT count(*) FROM study_contents WHERE id = ANY(%s::uuid[])", list(set(ledger.contents)))
        if found != len(set(ledger.contents)):
            problems.append("lost study content requests")
        found = scalar("SELECT count(*) FROM quiz_attempts WHERE id = ANY(%s::uuid[])", ledger.attempts)
        if found != len(ledger.attempts):
            problems.append("lost quiz attempts")

        duplicates = {
            "topics": "SELECT count(*) FROM (SELECT 1 FROM topics GROUP BY course_id, "
            "lower(title) HAVING count(*) > 1) d",
            # One nudge a learner a day, one announcement per met goal, one "ready" per finished thing.
            "notifications": "SELECT count(*) FROM (SELECT 1 FROM notifications GROUP BY "
            "user_id, kind, day, goal_id, subject_id HAVING count(*) > 1) d",
            "paid LLM replies": (
                "SELECT count(*) FROM (SELECT 1 FROM llm_calls WHERE outcome = 'ok' AND idempotency_key IS NOT NULL "
                "GROUP BY idempotency_key HAVING count(*) > 1) d"
            ),
            "remediation plans": "SELECT count(*) FROM (SELECT 1 FROM remediation_plans GROUP BY "
            "quiz_attempt_id HAVING count(*) > 1) d",
        }
        for name, sql in duplicates.items():
            if count := scalar(sql):
                problems.append(f"duplicate {name}: {count}")
        for content_id, payload in conn.execute("SELECT id, payload FROM study_contents WHERE payload IS NOT NULL"):
            items = payload.get("questions") or payload.get("cards") or []
            texts = [(item.get("question") or item.get("front") or "").strip().lower() for item in items]
            if len(texts) != len(set(texts)):
                problems.append(f"duplicate cards/questions in study content {content_id}")

        wrong_counters = scalar(
            "SELECT count(*) FROM courses c WHERE c.status = 'ready' AND ("
            " c.topics_total <> (SELECT count(*) FROM topics t WHERE t.course_id = c.id) OR"
            " c.topics_completed <> (SELECT count(*) FROM topics t WHERE t.course_id = c.id AND "
            "t.status = 'completed'))"
        )
        if wrong_counters:
            problems.append(f"progress counters differ from the rows on {wrong_counters} courses")

        for name, clerk_id in clerk_ids.items():
            row = conn.execute(
                "SELECT id, courses_created_today, study_content_today FROM users WHERE clerk_id = %s", (clerk_id,)
            ).fetchone()
            if row is None:
                continue
            user_id, courses_used, content_used = row
            kept_courses = scalar(
                "SELECT count(*) FROM courses WHERE owner_id = %s AND (error IS NULL OR error <> ALL(%s))",
                user_id,
                list(REFUNDED),
            )
            if courses_used != kept_courses:
                problems.append(f"{name}: course quota {courses_used} but {kept_courses} courses were accepted")
            kept_contents = scalar(
                "SELECT count(*) FROM study_contents s JOIN courses c ON c.id = s.course_id "
                "WHERE c.owner_id = %s AND (s.error IS NULL OR s.error <> ALL(%s))",
                user_id,
                list(REFUNDED),
            )
            if content_used != kept_contents:
                problems.append(
                    f"{name}: study-content quota {content_used} but {kept_contents} requests were accepted"
                )

    for record in ledger.answers:
        if record.status is None:
            problems.append(f"{record.label} at {record.at:.1f}s: no answer ({record.error})")
        elif record.status >= 500 and not (record.status == 503 and record.retry_after):
            problems.append(f"{record.label} at {record.at:.1f}s: {record.status}")
    return problems


def print_counts(ledger: Ledger, database_url: str) -> None:
    by_status = collections.Counter(r.status for r in ledger.answers)
    print("API answers by status:", dict(sorted(by_status.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))))
    by_label = collections.Counter(r.label for r in ledger.answers)
    print("API requests by route:", dict(by_label))
    with psycopg.connect(database_url) as conn:
        for table in ("courses", "topics", "study_contents", "quiz_attempts", "remediation_plans"):
            rows = conn.execute(
                f"SELECT status, count(*) FROM {table} GROUP BY status"
                if table != "quiz_attempts"
                else "SELECT 'recorded', count(*) FROM quiz_attempts"
            ).fetchall()
            print(f"{table}: {dict(rows)}")
        outcomes = conn.execute(
            "SELECT provider, outcome, count(*) FROM llm_calls GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        print("LLM calls:", ", ".join(f"{p}/{o}: {n}" for p, o, n in outcomes))


async def main() -> int:
    started = time.monotonic()
    llm = ScriptedOpenAI().start()
    with tempfile.TemporaryDirectory(prefix="studyflow-chaos-") as directory:
        root = Path(directory)
        print("▸ starting PostgreSQL, Temporal, the scripted LLM, API and worker processes", flush=True)
        stack = await asyncio.to_thread(Stack, root, llm)
        try:
            client = await connect(stack.settings)
            await client.create_schedule(stack.settings.reconcile_schedule_id, reconcile_schedule(stack.settings))
            private_pem, _ = ensure_keypair(stack.settings.dev_key_dir)
            clerk_ids = {f"learner-{i}": f"chaos_{i}_{uuid.uuid4().hex[:8]}" for i in range(LEARNERS)}
            ledger = Ledger()
            stop_at = time.monotonic() + LOAD_SECONDS
            print(f"▸ {LEARNERS} learners studying for {LOAD_SECONDS:.0f} s; faults:", flush=True)
            async with httpx.AsyncClient(base_url=stack.base_url, timeout=CLIENT_TIMEOUT) as http:
                learners = [
                    Learner(name, mint_session_token(private_pem, clerk_id), http, ledger, stop_at).run()
                    for name, clerk_id in clerk_ids.items()
                ]
                supervisor = asyncio.create_task(supervise(stack, ledger, stop_at + QUIESCENCE_SECONDS))
                await asyncio.gather(inject_faults(stack, llm, ledger), *learners)
            ledger.fault("load stopped; waiting for quiescence")
            waited = await asyncio.to_thread(wait_for_quiescence, stack.database_url)
            ledger.fault(f"quiescent after {waited:.1f} s")
            supervisor.cancel()
            problems = check_invariants(stack.database_url, ledger, clerk_ids)
            print_counts(ledger, stack.database_url)
        finally:
            await asyncio.to_thread(stack.stop)
            llm.stop()
    kills = sum(1 for _, text in ledger.timeline if text.startswith("SIGKILL"))
    print(f"worker kills: {kills}; duration {time.monotonic() - started:.0f} s")
    if problems:
        print(f"✗ {len(problems)} violation(s):")
        for problem in problems[:50]:
            print("  -", problem)
        return 1
    print("✓ every invariant held")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
