"""A real HTTP server speaking the OpenAI protocol (chat completions, embeddings), scripted per test.

It runs uvicorn in its own thread and event loop, so slow replies never block the code under test,
and the application's real `openai` client, timeouts and failover are exercised end to end.

Scripting: `server.on(match=..., replies=[...])` adds a rule; a request whose messages contain
`match` (and whose endpoint is `provider`, if given) takes the rule's next reply. Requests no rule
claims get a valid answer built from the requested JSON schema name (see `auto_reply`).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route


@dataclass(frozen=True)
class Reply:
    status: int = 200
    content: str | None = None
    delay: float = 0.0
    error_message: str = ""
    chunk_delay: float = 0.0  # between streamed pieces, when the request asks to stream
    headers: tuple[tuple[str, str], ...] = ()  # sent with an error reply, e.g. Retry-After

    @staticmethod
    def json(obj: object, delay: float = 0.0) -> Reply:
        return Reply(content=json.dumps(obj), delay=delay)

    @staticmethod
    def text(content: str, delay: float = 0.0) -> Reply:
        return Reply(content=content, delay=delay)

    @staticmethod
    def error(
        status: int, message: str = "scripted failure", delay: float = 0.0, headers: dict[str, str] | None = None
    ) -> Reply:
        return Reply(status=status, error_message=message, delay=delay, headers=tuple((headers or {}).items()))

    @staticmethod
    def auto(delay: float = 0.0) -> Reply:
        return Reply(status=0, delay=delay)  # status 0: "build a valid answer"


@dataclass
class Rule:
    match: str
    replies: list[Reply]
    provider: str | None = None
    repeat_last: bool = False
    used: int = 0


@dataclass
class RecordedCall:
    provider: str
    model: str
    schema_name: str | None
    text: str
    status: int
    arrived_at: float = 0.0
    at: float = field(default_factory=time.monotonic)  # when the reply was sent


class ScriptedOpenAI:
    def __init__(self, default_delay: float = 0.0) -> None:
        self.default_delay = default_delay
        self._rules: list[Rule] = []
        self._calls: list[RecordedCall] = []
        self._test_began = 0  # calls before it belong to earlier tests of the session
        self._arrivals: list[str] = []
        self._lock = threading.Lock()
        # A fault that overrides every rule while set (e.g. "primary answers 429"): provider → reply.
        self.fault: Callable[[str], Reply | None] | None = None
        # Replies computed from the request (schema name, prompt text), consulted after the rules.
        self.responder: Callable[[str | None, str], Reply | None] | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = _free_port()
        # What `GET /{provider}/v1/models` lists (`studyflow models` checks the configured one is there).
        self.models: dict[str, list[str]] = {"primary": ["primary-model"], "fallback": ["fallback-model"]}

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> ScriptedOpenAI:
        app = Starlette(
            routes=[
                Route("/{provider}/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/{provider}/v1/embeddings", self._embeddings, methods=["POST"]),
                Route("/{provider}/v1/models", self._models, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="scripted-openai", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("scripted OpenAI server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def base_url(self, provider: str) -> str:
        return f"http://127.0.0.1:{self.port}/{provider}/v1"

    # --- scripting ---------------------------------------------------------------------
    def on(self, match: str, replies: list[Reply], *, provider: str | None = None, repeat_last: bool = False) -> Rule:
        rule = Rule(match=match, replies=list(replies), provider=provider, repeat_last=repeat_last)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear_rules(self) -> None:
        with self._lock:
            self._rules.clear()

    def begin_test(self) -> None:
        """From here `calls()` sees this test's calls only: which tests ran earlier in the session
        (and so which calls a match could also catch) depends on the order, which parallel runs
        change."""
        with self._lock:
            self._test_began = len(self._calls)

    def calls(
        self, match: str | None = None, *, provider: str | None = None, ok: bool | None = None
    ) -> list[RecordedCall]:
        with self._lock:
            calls = self._calls[self._test_began :]
        return [
            c
            for c in calls
            if (match is None or match in c.text)
            and (provider is None or c.provider == provider)
            and (ok is None or (c.status == 200) == ok)
        ]

    def arrived(self, match: str) -> int:
        """Requests received so far (answered or still in flight) whose messages contain `match`."""
        with self._lock:
            return sum(1 for text in self._arrivals if match in text)

    # --- handlers ----------------------------------------------------------------------
    async def _models(self, request: Request) -> JSONResponse:
        listed = self.models.get(request.path_params["provider"], [])
        return JSONResponse({"object": "list", "data": [{"id": m, "object": "model"} for m in listed]})

    def _take(self, provider: str, text: str) -> Reply | None:
        with self._lock:
            for rule in self._rules:
                if rule.match in text and rule.provider in (None, provider):
                    if rule.used < len(rule.replies):
                        rule.used += 1
                        return rule.replies[rule.used - 1]
                    if rule.repeat_last and rule.replies:
                        return rule.replies[-1]
        return None

    async def _chat(self, request: Request) -> JSONResponse:
        import asyncio

        provider = request.path_params["provider"]
        body = await request.json()
        text = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        schema_name = (body.get("response_format") or {}).get("json_schema", {}).get("name")
        with self._lock:
            self._arrivals.append(text)
        arrived_at = time.monotonic()
        fault = self.fault
        responder = self.responder
        reply = (
            (fault(provider) if fault else None)
            or self._take(provider, text)
            or (responder(schema_name, text) if responder else None)
            or Reply.auto(self.default_delay)
        )
        if reply.delay:
            await asyncio.sleep(reply.delay)
        status = 200 if reply.status == 0 else reply.status
        with self._lock:
            self._calls.append(RecordedCall(provider, body.get("model", ""), schema_name, text, status, arrived_at))
        if status != 200:
            return JSONResponse(
                {"error": {"message": reply.error_message, "type": "scripted", "code": status}},
                status_code=status,
                headers=dict(reply.headers),
            )
        content = reply.content if reply.status != 0 else json.dumps(auto_reply(schema_name, text))
        if body.get("stream"):
            return StreamingResponse(
                self._stream(body.get("model", "scripted"), content, len(text.split()), reply.chunk_delay),
                media_type="text/event-stream",
            )
        return JSONResponse(
            {
                "id": f"chatcmpl-{len(self._calls)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "scripted"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": len(text.split()),
                    "completion_tokens": len(content.split()),
                    "total_tokens": len(text.split()) + len(content.split()),
                },
            }
        )

    @staticmethod
    async def _stream(model: str, content: str, prompt_tokens: int, chunk_delay: float):
        """The reply as OpenAI streams it: role, content pieces, a usage chunk, [DONE]."""
        import asyncio

        def event(choices: list, usage: dict | None = None) -> str:
            chunk = {
                "id": "chatcmpl-stream",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": choices,
                "usage": usage,
            }
            return f"data: {json.dumps(chunk)}\n\n"

        yield event([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
        for start in range(0, len(content), 12):
            if chunk_delay:
                await asyncio.sleep(chunk_delay)
            yield event([{"index": 0, "delta": {"content": content[start : start + 12]}, "finish_reason": None}])
        yield event([{"index": 0, "delta": {}, "finish_reason": "stop"}])
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(content.split()),
            "total_tokens": prompt_tokens + len(content.split()),
        }
        yield event([], usage)
        yield "data: [DONE]\n\n"

    async def _embeddings(self, request: Request) -> JSONResponse:
        body = await request.json()
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        dims = int(body.get("dimensions") or 384)
        return JSONResponse(
            {
                "object": "list",
                "model": body.get("model", "scripted"),
                "data": [
                    {"object": "embedding", "index": i, "embedding": hashed_embedding(str(t), dims)}
                    for i, t in enumerate(inputs)
                ],
                "usage": {"prompt_tokens": 0, "total_tokens": 0},
            }
        )


def auto_reply(schema_name: str | None, prompt: str) -> dict:
    """A valid answer for each schema the product asks for, shaped by what the prompt asks."""
    if schema_name == "course_outline":
        chapters = int(_number(r"Exactly (\d+) chapters", prompt, 3))
        topics = int(_number(r"has (\d+) to \d+ topics", prompt, 3))
        subject = _number(r"course on: (.+)", prompt, "the subject")
        return {
            "title": f"A course on {subject}",
            "chapters": [
                {
                    "title": f"Chapter {c + 1} of {subject}",
                    "topics": [
                        {"title": f"Topic {c + 1}.{t + 1} of {subject}", "summary": "What you will learn."}
                        for t in range(topics)
                    ],
                }
                for c in range(chapters)
            ],
        }
    if schema_name == "topic_notes":
        topic = _number(r"topic '([^']+)'", prompt, "this topic")
        return {
            "explanation": f"{topic} explained step by step, with the reasoning behind each step.",
            "key_points": [f"First key idea of {topic}", "Second key idea", "Third key idea"],
            "example": "```python\nprint('worked example')\n```",
            "interview_questions": [f"What is {topic}?", "When would you use it?", "What are its limits?"],
        }
    if schema_name in ("quiz", "flashcards"):
        refs = re.findall(r"^(T\d+): (.+)$", prompt, flags=re.MULTILINE) or [("T1", "the subject")]
        # A course from the learner's material shows numbered excerpts; a model cites them.
        excerpts = re.findall(r"^\[(S\d+)\] ", prompt, flags=re.MULTILINE)
        cite = (lambda i: {"source_refs": [excerpts[i % len(excerpts)]]}) if excerpts else (lambda i: {})
        count = int(_number(r"Write (\d+) ", prompt, 4))
        subject = _number(r"course on (.+?)\.?\n", prompt, "the subject")
        if schema_name == "flashcards":
            return {
                "cards": [
                    {
                        "front": f"Card {i + 1} about {subject}?",
                        "back": f"Answer {i + 1}.",
                        "topic_ref": refs[i % len(refs)][0],
                        **cite(i),
                    }
                    for i in range(count)
                ]
            }
        return {
            "questions": [
                {
                    "question": f"Question {i + 1} about {subject}?",
                    "options": [auto_option(i, c) for c in "ABCD"],
                    "answer": auto_option(i, "B"),
                    "explanation": "Because B is right.",
                    "key_points": ["B is right", "the others are wrong"],
                    "topic_ref": refs[i % len(refs)][0],
                    **cite(i),
                }
                for i in range(count)
            ]
        }
    if schema_name == "short_answer_grade":
        from tests.support.word_overlap_marker import word_overlap_marker

        return word_overlap_marker(prompt)
    if schema_name == "short_answers":
        return _short_answer_items(prompt)
    if schema_name == "tutor_answer":
        excerpts = re.findall(r"^\[(\d+)\] (.+)$", prompt, flags=re.MULTILINE)
        if not excerpts:
            return {"answer": "", "citations": [], "confidence": 0.0, "answerable": False}
        number, text = excerpts[0]
        return {
            "answer": "According to your material: " + " ".join(text.split()[:40]),
            "citations": [int(number)],
            "confidence": 0.8,
            "answerable": True,
        }
    if schema_name == "nudge":
        goal = re.search(r"behind on their goal to (.+?); what it takes now: (.+?)\. ", prompt)
        if goal:
            return {"message": f"Your goal to {goal.group(1)} needs {goal.group(2)}. Ten minutes now?"[:280]}
        return {"message": "Ten focused minutes today will keep your progress going. Ready?"}
    if schema_name == "subject_suggestions":
        course = _number(r"Their courses:\n- (.+?) \(", prompt, "your last course")
        return {
            "suggestions": [
                {"topic": f"{course}: {step}", "reason": f"A next step after {course}, where your goal took you."}
                for step in ("advanced patterns", "real projects", "common pitfalls")
            ]
        }
    if schema_name == "remediation":
        topic = _number(r"answered these questions on\s+'([^']+)'", prompt, "the topic")
        return {
            "explanation": f"Let us revisit {topic}: the common misunderstanding, corrected step by step.",
            "key_points": [f"{topic}: key point 1", "key point 2", "key point 3"],
            "practice_questions": [
                {
                    "question": f"Practice {i + 1} on {topic}?",
                    "options": ["w", "x", "y", "z"],
                    "answer": "x",
                    "explanation": "x is right",
                    "key_points": ["x"],
                }
                for i in range(3)
            ],
        }
    if schema_name == "models_check":
        return {"ok": True}
    if schema_name == "learner_context":
        struggling = _number(r"Struggling with: ([^(;\n]+)", prompt, "their last course").strip()
        return {
            "summary": f"They are working hard but {struggling} is not yet secure; start the session there, "
            "then practise with short questions."
        }
    if schema_name == "session_insights":
        return session_insights_reply(prompt)
    raise ValueError(f"no automatic reply for schema {schema_name!r}")


FABRICATED_QUOTE = "I have always loved studying the migration patterns of arctic terns"


def session_insights_reply(prompt: str) -> dict:
    """Concepts from the window's learner lines (`12:30 L: text`), each quoted from its line, plus
    one quote nobody said (the validation must drop it): what a model that half-follows the
    instructions returns."""
    lines = [
        m.group(1)
        for m in re.finditer(r"^(?:[\d:]+ )?L: (.+)$", prompt, flags=re.MULTILINE)
        if len(m.group(1).split()) >= 6
    ]
    verdicts = ("misconception", "understood", "partial")
    concepts = [
        {
            "name": "Idea " + " ".join(re.findall(r"[A-Za-z]+", line)[:3]),
            "difficulty": 3 + i,
            "learner_showed": verdicts[i % 3],
            "evidence": [{"quote": " ".join(line.split()[:12]), "speaker": "L"}],
        }
        for i, line in enumerate(lines[:3])
    ]
    if concepts:
        concepts[0]["evidence"].append({"quote": FABRICATED_QUOTE, "speaker": "L"})
    return {
        "topics": [c["name"] for c in concepts[:1]],
        "concepts": concepts,
        "strengths": ["Keeps going when stuck"],
        "areas_for_improvement": ["Check each step"],
        "action_items": ["Practise five more problems"],
    }


# Options of the automatic quiz: unrelated words of similar length, different in every question,
# so an automatic question passes the quality gate (no near-duplicate or longest-option clue) and
# a browser test can pick an option by its label.
_OPTION_WORDS = (
    "Lighthouse Violin Glacier Pepper Saturn Anchor Tulip Granite Falcon Lantern Cactus Harbor Compass "
    "Walnut Meteor Canyon Ribbon Marble Dolphin Thunder Pyramid Orchid Bicycle Volcano Saddle Coral Kettle "
    "Maple Pelican Quartz Tractor Igloo Banjo Cobalt Ferret Geyser Hammock Jasmine Koala Lobster"
).split()


def auto_option(question_index: int, letter: str) -> str:
    """The text of option `letter` (A-D) of automatic question `question_index` (from 0); B is correct."""
    return _OPTION_WORDS[(4 * question_index + "ABCD".index(letter)) % len(_OPTION_WORDS)]


def hashed_embedding(text: str, dims: int = 384) -> list[float]:
    """Deterministic unit vector from word hashes: shared words → similar vectors."""
    vector = [0.0] * dims
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.sha256(word.encode()).digest()
        vector[int.from_bytes(digest[:4], "big") % dims] += 1.0 if digest[4] % 2 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def _number(pattern: str, text: str, default):
    found = re.search(pattern, text)
    return found.group(1).strip() if found else default


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    """`python -m tests.support.scripted_openai --port N`: serve automatic replies (benchmarks)."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every reply")
    args = parser.parse_args()
    server = ScriptedOpenAI(default_delay=args.delay)
    server.port = args.port
    server.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


def _short_answer_items(prompt: str) -> dict:
    """Short-answer items whose rubric points quote the prompt's first excerpts word for word."""
    refs = re.findall(r"^(T\d+): (.+)$", prompt, flags=re.MULTILINE) or [("T1", "the subject")]
    excerpts = re.findall(r"^\[(S\d+)\] (.*?)(?=^\[S\d+\] |\n\nEach item)", prompt, flags=re.MULTILINE | re.DOTALL)
    count = int(_number(r"Write (\d+) short-answer", prompt, 1))
    items = []
    for i in range(min(count, len(excerpts))):
        ref, text = excerpts[i]
        # The excerpt's longest line of prose (not a heading), in halves.
        text = max((line for line in text.splitlines() if not line.lstrip().startswith("#")), key=len, default=text)
        words = text.split()
        halves = [" ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2 :])]
        items.append(
            {
                "question": f"Explain what excerpt {i + 1} of {refs[i % len(refs)][1]} says.",
                "model_answer": " ".join(words[:60]),
                "rubric": [{"text": half[:150], "weight": 1, "source_quote": half[:200]} for half in halves if half],
                "topic_ref": refs[i % len(refs)][0],
                "source_refs": [ref],
            }
        )
    return {"items": items}


if __name__ == "__main__":
    main()
