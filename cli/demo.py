"""`studyflow demo` / `make demo`: the newcomer's first five minutes, against a running stack.

Mints a dev token, creates a course, opens a topic, generates flashcards and a quiz, submits an
attempt with some wrong answers, and ends with the remediation plan, printing each step's status
and timing as it polls.
"""

from __future__ import annotations

import functools
import itertools
import sys
import time
from collections.abc import Callable

import httpx

from api.dev_auth import ensure_keypair, mint_session_token
from studyflow.settings import Settings

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class DemoError(SystemExit):
    pass


class Demo:
    def __init__(self, settings: Settings, base_url: str, topic: str, timeout: float, out=sys.stdout):
        self._settings = settings
        self._base = base_url.rstrip("/")
        self._topic = topic
        self._timeout = timeout
        self._out = out
        self._http = httpx.Client(base_url=self._base, timeout=30)
        self._failures: list[tuple[str, str]] = []  # (step, why): the demo exits non-zero with them

    def _print(self, text: str = "") -> None:
        print(text, file=self._out, flush=True)

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise DemoError(f"cannot reach the API at {self._base} ({exc}); is `make dev` running?") from exc
        if response.status_code >= 400:
            raise DemoError(f"{method} {path} → {response.status_code}: {response.text}")
        return response.json() if response.content else {}

    def _wait(
        self, label: str, fetch: Callable[[], dict], done: Callable[[dict], bool], note: Callable[[dict], str]
    ) -> dict:
        """Poll until done. On a terminal a spinner line redraws in place; in a log or pipe one
        line is written per change of state, so the output stays readable there too."""
        live = self._out.isatty()
        started = time.monotonic()
        last_note = None
        for frame in itertools.cycle(SPINNER):
            state = fetch()
            elapsed, status = time.monotonic() - started, note(state)
            if done(state):
                # A step that ended failed is a failure, said as one: never a tick before "failed".
                failed = state.get("status") == "failed"
                if failed:
                    self._failures.append((label, state.get("error") or "no reason given"))
                    status = f"failed: {' '.join((state.get('error') or '').split())[:200]}"
                mark = "✗" if failed else "✓"
                self._out.write(f"\r  {mark} {label:<28} {elapsed:6.1f}s  {status}" + ("\033[K\n" if live else "\n"))
                self._out.flush()
                return state
            if elapsed > self._timeout:
                raise DemoError(f"\n{label}: still not done after {self._timeout:.0f}s (last state: {status})")
            if live:
                self._out.write(f"\r  {frame} {label:<28} {elapsed:6.1f}s  {status}\033[K")
            elif status != last_note:
                self._out.write(f"  … {label:<28} {elapsed:6.1f}s  {status}\n")
            last_note = status
            self._out.flush()
            time.sleep(0.5)
        raise AssertionError("unreachable")

    def run(self) -> int:
        s = self._settings
        private_pem, _ = ensure_keypair(s.dev_key_dir)
        self._http.headers["Authorization"] = f"Bearer {mint_session_token(private_pem, 'demo-learner')}"
        ready = self._http.get("/readyz")
        self._print(f"studyflow demo against {self._base} (readiness: {ready.status_code})\n")
        total = time.monotonic()

        accepted = self._call("POST", "/v1/courses", json={"topic": self._topic, "difficulty": "beginner"})
        course = self._wait(
            "course outline",
            lambda: self._call("GET", f"/v1/courses/{accepted['course_id']}/progress"),
            lambda c: c["status"] != "generating",
            lambda c: (
                f"{c['status']} {c.get('generation_stage') or ''} "
                + (f"· {c['topics_total']} topics · {_by(c['outline_model'])}" if c["status"] == "ready" else "")
            ),
        )
        if course["status"] != "ready":
            raise DemoError(f"course ended {course['status']}: {course['error']}")
        for chapter in course["chapters"]:
            self._print(f"      {chapter['index'] + 1}. {' '.join(chapter['title'].split())[:100]}")
        topic = course["chapters"][0]["topics"][0]

        self._call("POST", f"/v1/topics/{topic['id']}/notes")
        notes = self._wait(
            f"notes: {topic['title'][:20]}",
            lambda: self._call("GET", f"/v1/topics/{topic['id']}"),
            lambda t: t["status"] in ("completed", "failed"),
            lambda t: t["status"] + (f" · {_by(t['notes_model'])}" if t.get("notes_model") else ""),
        )
        if notes["status"] == "completed":
            preview = " ".join(notes["notes_md"].split())[:160]
            self._print(f"      {preview}…")

        contents = {}
        for kind in ("flashcards", "quiz"):
            started = self._call("POST", f"/v1/courses/{course['id']}/study-content", json={"type": kind})
            contents[kind] = self._wait(
                kind,
                functools.partial(self._call, "GET", f"/v1/study-content/{started['id']}"),
                lambda c: c["status"] in ("completed", "failed"),
                lambda c: (
                    c["status"] + (f" · {c['served_from']} · {_by(c['model'])}" if c["status"] == "completed" else "")
                ),
            )
            for record in (contents[kind].get("cards") or contents[kind].get("questions") or [])[:2]:
                text = " ".join((record.get("front") or record.get("question") or "").split())
                self._print(f"      {'card' if kind == 'flashcards' else 'question'}: {text[:120]}")
            if contents[kind]["status"] == "completed" and (quality := contents[kind].get("quality")):
                self._print(f"      quality gate: {_quality_line(quality)}")
        quiz = contents["quiz"]
        if quiz["status"] != "completed":
            return self._finish(total, stopped_at="quiz attempt")

        # Answer the first question with option 0 and the rest with option 3: some will be wrong.
        answers = {q["id"]: (0 if i == 0 else 3) for i, q in enumerate(quiz["questions"])}
        result = self._call(
            "POST", f"/v1/quizzes/{quiz['id']}/attempts", json={"answers": answers, "duration_seconds": 120}
        )
        self._print(
            f"  ✓ quiz attempt                 score {result['score']}/{result['total']} ({result['percentage']:.0f}%)"
        )
        if result["remediation_plan_id"]:
            plan = self._wait(
                "remediation plan",
                lambda: self._call("GET", f"/v1/remediation/{result['remediation_plan_id']}"),
                lambda p: p["status"] in ("completed", "failed"),
                lambda p: p["status"] + (f" · {len(p['topics'])} weak topic(s)" if p["status"] == "completed" else ""),
            )
            for section in plan["topics"]:
                self._print(f"      ▸ {section['topic_title']}: {' '.join(section['explanation'].split())[:120]}…")
                for question in section["practice_questions"][:1]:
                    self._print(f"        practice: {' '.join(question['question'].split())[:120]}")
        else:
            self._print("      passed: no remediation needed")
        return self._finish(total)

    def _finish(self, started: float, stopped_at: str | None = None) -> int:
        """0 only when every step succeeded; otherwise which failed, why, and a non-zero exit."""
        elapsed = time.monotonic() - started
        if not self._failures:
            self._print(f"\ndone in {elapsed:.1f}s — dashboard: GET {self._base}/v1/dashboard")
            return 0
        self._print(f"\n✗ {len(self._failures)} step(s) failed after {elapsed:.1f}s:")
        for step, why in self._failures:
            self._print(f"  - {step}: {' '.join(why.split())[:300]}")
        if stopped_at:
            self._print(f"  (stopped before the {stopped_at}: it needs what failed)")
        return 1


def _quality_line(report: dict) -> str:
    """'8 asked · 7 checked: 5 passed, 2 repaired, 0 dropped · found clang_clue ×1 …'"""
    found = ", ".join(f"{reason} ×{n}" for reason, n in report["found"].items()) or "no flaws"
    line = (
        f"{report['requested']} asked · {report['checked']} checked: {report['passed']} passed, "
        f"{report['repaired']} repaired, {report['dropped']} dropped · found {found} · {report['gate_ms']} ms"
    )
    return line + (f" · {report['invalid']} not valid" if report["invalid"] else "")


def _by(model: str | None) -> str:
    """Who wrote an artifact, in words: the learner's material quoted, a model, or the template."""
    if model is None:
        return "by the manual outline"
    return "from your material (quoted, no model)" if model == "extractive" else f"by {model}"
