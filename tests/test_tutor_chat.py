"""The tutor chat: a ConversationWorkflow per conversation, one Update per question, answers from
the learner's own material with citations of chunks retrieval returned, streamed as written."""

from __future__ import annotations

import os
import signal
import uuid
from contextlib import AsyncExitStack

import httpx
from sqlalchemy import func, insert, select

from api.app import create_app
from db.models import ContentChunk, ConversationMessage, LlmCall, TopicMastery, User
from tests.support.app import ApiClient, make_settings, open_api_client
from tests.support.courses import wait_for_course
from tests.support.live_server import live_server
from tests.support.polling import poll_until
from tests.support.scripted_openai import Reply
from tests.support.sources import ingested
from tests.support.sse import open_events
from tests.support.worker_process import spawn_worker
from worker import build_activities, build_workers

NOTES = b"""# Recursion

## Base case
Every recursive function needs a base case: an input it answers directly, without calling
itself again. Without a base case the recursion never stops and the stack overflows.

## Recursive case
The recursive case calls the function on a smaller input, moving towards the base case.

## Memoisation
Memoisation stores the results of earlier calls so a recursive function never computes the same
input twice, which turns exponential Fibonacci into linear time.
"""


async def _conversation(api, user: str, **body) -> dict:
    response = await api.http.post("/v1/conversations", json=body, headers=api.auth(user))
    assert response.status_code == 201, response.text
    return response.json()


async def _ask(api, user: str, conversation_id: str, question: str, **extra) -> dict:
    response = await api.http.post(
        f"/v1/conversations/{conversation_id}/messages",
        params={"wait": "true"},
        json={"question": question, **extra},
        headers=api.auth(user),
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_answerable_question_cites_what_retrieval_returned(api, user_a, llm_server, session_factory):
    source = await ingested(api, user_a, "recursion.md", NOTES)
    conversation = await _conversation(api, user_a)
    reply = await _ask(api, user_a, conversation["id"], "What does every recursive function need so that it stops?")
    assert reply["answerable"] is True and reply["confidence"] > 0.5
    assert reply["citations"], reply
    [prompt] = [c.text for c in llm_server.calls("so that it stops") if c.schema_name == "tutor_answer"]
    async with session_factory() as session:
        chunks = {
            str(c.id): c
            for c in await session.scalars(
                select(ContentChunk).where(ContentChunk.source_id == uuid.UUID(source["id"]))
            )
        }
    for citation in reply["citations"]:
        chunk = chunks[str(citation["chunk_id"])]  # a chunk of the learner's own source
        assert f"[{citation['number']}] {citation['label']}: {chunk.text}" in prompt  # and one it was shown
        assert citation["label"].startswith("recursion.md, § ")
    assert any("Base case" in c["label"] for c in reply["citations"])
    history = (await api.http.get(f"/v1/conversations/{conversation['id']}", headers=api.auth(user_a))).json()
    assert [m["role"] for m in history["messages"]] == ["learner", "tutor"]
    assert history["messages"][1]["citations"] == reply["citations"]


async def test_a_question_the_material_does_not_answer_gets_no_invention(api, user_a, llm_server):
    await ingested(api, user_a, "recursion-2.md", NOTES.replace(b"# Recursion", b"# Recursion notes"))
    conversation = await _conversation(api, user_a)
    question = f"Which river flows through Lima {uuid.uuid4().hex[:6]}?"
    reply = await _ask(api, user_a, conversation["id"], question)
    assert reply["answerable"] is False and reply["citations"] == []
    assert reply["text"].startswith("That is not in your material")
    assert llm_server.calls(question) == []  # nothing relevant retrieved: no model call at all

    # The model may also say the excerpts do not answer although retrieval found passages about
    # it: that is the model's failure, not the material's (issue 30). The learner gets the
    # passages themselves, quoted and cited, and is told the model could not answer.
    llm_server.on(
        "How deep can the stack", [Reply.json({"answer": "", "citations": [1], "confidence": 0.1, "answerable": False})]
    )
    reply = await _ask(api, user_a, conversation["id"], "How deep can the stack of a recursive function grow?")
    assert reply["text"].startswith("The model could not answer this from your material")
    assert "not in your material" not in reply["text"]
    assert reply["citations"] and all(c["label"].startswith("recursion-2.md") for c in reply["citations"])
    assert all(
        "“" in line and line.endswith(tuple(c["label"] for c in reply["citations"]))
        for line in reply["text"].splitlines()[1:]
    )


async def test_another_learners_material_never_reaches_an_answer(api, user_a, user_b, llm_server):
    secret = f"The zebra{uuid.uuid4().hex[:6]} protocol rotates keys every ninety seconds."
    await ingested(api, user_b, "b-secret.md", f"# Keys\n\n{secret}\n".encode())
    conversation = await _conversation(api, user_a)
    reply = await _ask(api, user_a, conversation["id"], "How often does the zebra protocol rotate keys?")
    assert reply["answerable"] is False and reply["citations"] == []
    assert all(secret not in call.text for call in llm_server.calls())
    stranger = await api.http.get(f"/v1/conversations/{conversation['id']}", headers=api.auth(user_b))
    assert stranger.status_code == 404


async def test_bad_questions_are_refused_before_anything_runs(api, user_a):
    conversation = await _conversation(api, user_a)
    url = f"/v1/conversations/{conversation['id']}/messages"
    for body in ({"question": ""}, {"question": "x" * 2001}, {"question": "ok", "request_id": "no spaces allowed"}):
        response = await api.http.post(url, json=body, headers=api.auth(user_a))
        assert response.status_code == 422, (body, response.text)
    response = await api.http.post(url, json={"question": "   "}, headers=api.auth(user_a))
    assert response.status_code == 422
    # A request id names one question: sent again it is the same request, with another it is refused.
    asked = {"question": "What is a closure?", "request_id": "closure-1"}
    first = await _ask(api, user_a, conversation["id"], **asked)
    again = await _ask(api, user_a, conversation["id"], **asked)
    assert first == again  # the same answer, not a second one
    other = await api.http.post(url, json={**asked, "question": "What is a decorator?"}, headers=api.auth(user_a))
    assert other.status_code == 409 and "closure-1" in other.json()["error"]["message"], other.text


async def test_the_answer_streams_over_the_event_stream_and_is_persisted_once(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    async with AsyncExitStack() as stack:
        settings = make_settings(database_url, llm_server, tmp_path)
        for w in build_workers(
            temporal_env.client, settings, build_activities(settings, session_factory, temporal_env.client)
        ):
            await stack.enter_async_context(w)
        app = create_app(settings, temporal_client=temporal_env.client)
        base_url = await stack.enter_async_context(live_server(app))
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=30))
        api = ApiClient(http=http, settings=settings, app=app)
        await ingested(api, user_a, "recursion.md", NOTES)
        conversation = await _conversation(api, user_a)
        answer = (
            "Memoisation stores earlier results, so the same input is never computed twice; Fibonacci becomes linear."
        )
        llm_server.on(
            "What does memoisation do",
            [
                Reply(
                    content='{"answer": "' + answer + '", "citations": [1], "confidence": 0.9, "answerable": true}',
                    chunk_delay=0.05,
                )
            ],
        )
        events = await stack.enter_async_context(open_events(base_url, api.token(user_a)))
        accepted = await api.http.post(
            f"/v1/conversations/{conversation['id']}/messages",
            json={"question": "What does memoisation do for a recursive function?"},
            headers=api.auth(user_a),
        )
        assert accepted.status_code == 202, accepted.text
        request_id = accepted.json()["request_id"]
        streamed, deltas = "", 0
        while streamed != answer:
            event = await events.until(lambda e: e.kind == "answer" and e.data["request_id"] == request_id)
            assert event.data["offset"] == len(streamed) and event.data["id"] == conversation["id"]
            streamed += event.data["delta"]
            deltas += 1
        assert deltas >= 3  # it arrived in pieces, while the model was writing

        async def tutor_messages():
            page = (await api.http.get(f"/v1/conversations/{conversation['id']}", headers=api.auth(user_a))).json()
            return [m for m in page["messages"] if m["role"] == "tutor"]

        [persisted] = await poll_until(tutor_messages, lambda ms: len(ms) == 1)
        assert persisted["text"] == answer


async def test_a_worker_killed_mid_answer_still_answers_once(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    settings = make_settings(database_url, llm_server, tmp_path, llm_heartbeat_timeout_seconds=1.5)
    address = temporal_env.client.service_client.config.target_host
    question = f"Why does the stack overflow {uuid.uuid4().hex[:6]} without a base case?"
    llm_server.on(question, [Reply.auto(delay=6)])  # the first attempt is in flight when the worker dies
    first = spawn_worker(settings, address)
    second = None
    try:
        async with AsyncExitStack() as stack:
            api = await open_api_client(stack, settings, temporal_env)
            source = await ingested(api, user_a, "recursion.md", NOTES)
            assert source["status"] == "ready", source
            conversation = await _conversation(api, user_a)
            accepted = await api.http.post(
                f"/v1/conversations/{conversation['id']}/messages",
                json={"question": question, "request_id": "crash-1"},
                headers=api.auth(user_a),
            )
            assert accepted.status_code == 202
            await poll_until(lambda: _arrived(llm_server, question), lambda n: n >= 1, timeout=60)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
            second = spawn_worker(settings, address)
            reply = await _ask(api, user_a, conversation["id"], question, request_id="crash-1")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
    assert reply["answerable"] is True
    async with session_factory() as session:
        replies = await session.scalar(
            select(func.count()).where(
                ConversationMessage.conversation_id == uuid.UUID(conversation["id"]),
                ConversationMessage.role == "tutor",
            )
        )
        paid = await session.scalar(
            select(func.count()).where(
                LlmCall.idempotency_key == f"tutor-answer:{conversation['id']}:crash-1", LlmCall.outcome == "ok"
            )
        )
    assert replies == 1 and paid == 1


async def _arrived(llm_server, text: str) -> int:
    return llm_server.arrived(text)


async def test_a_long_conversation_continues_as_new_and_keeps_its_history(stack_with, temporal_env, user_a):
    api = await stack_with(conversation_questions_per_run=2)
    await ingested(api, user_a, "recursion.md", NOTES)
    conversation = await _conversation(api, user_a)
    questions = [
        "What is a base case?",
        "What is the recursive case?",
        "What does memoisation store?",
        "Why use a base case?",
    ]
    await _ask(api, user_a, conversation["id"], questions[0])
    # The first question started the workflow (a conversation nobody asks anything costs none).
    first_run = (await temporal_env.client.get_workflow_handle(conversation["workflow_id"]).describe()).run_id
    for question in questions[1:]:
        await _ask(api, user_a, conversation["id"], question)
    history = (await api.http.get(f"/v1/conversations/{conversation['id']}", headers=api.auth(user_a))).json()
    assert [m["text"] for m in history["messages"] if m["role"] == "learner"] == questions
    current = await temporal_env.client.get_workflow_handle(conversation["workflow_id"]).describe()
    assert current.run_id != first_run  # continued as new (twice) on the way


OUTLINE = {
    "title": "Recursion",
    "chapters": [
        {
            "title": "Foundations",
            "topics": [
                {"title": "Base cases in recursion", "summary": "Stop the recursion."},
                {"title": "Call stacks", "summary": "Frames."},
                {"title": "Tracing calls", "summary": "By hand."},
            ],
        },
        {
            "title": "Techniques",
            "topics": [
                {"title": "Memoisation", "summary": "Cache results."},
                {"title": "Divide and conquer", "summary": "Split."},
                {"title": "Backtracking", "summary": "Undo."},
            ],
        },
        {
            "title": "Practice",
            "topics": [
                {"title": "Tree traversal", "summary": "Walk trees."},
                {"title": "Permutations", "summary": "All orders."},
                {"title": "Tail calls", "summary": "Reuse frames."},
            ],
        },
    ],
}


async def test_a_learner_who_keeps_struggling_on_a_topic_is_routed_to_a_tutor(api, user_a, llm_server, session_factory):
    topic = f"recursion for tutoring {uuid.uuid4().hex[:6]}"
    llm_server.on(f"course on: {topic}", [Reply.json(OUTLINE)])
    created = await api.http.post("/v1/courses", json={"topic": topic}, headers=api.auth(user_a))
    course = await wait_for_course(api, user_a, created.json()["course_id"])
    base_case = course["chapters"][0]["topics"][0]
    assert base_case["title"] == "Base cases in recursion"
    async with session_factory.begin() as session:
        owner = await session.scalar(select(User.id).where(User.clerk_id == user_a))
        await session.execute(
            insert(TopicMastery).values(
                user_id=owner, topic_id=uuid.UUID(base_case["id"]), mastery=0.21, answers=6, correct=1
            )
        )
    await ingested(api, user_a, "recursion.md", NOTES)
    conversation = await _conversation(api, user_a)
    questions = [
        "What is a base case in recursion?",
        "Why does recursion need a base case?",
        "How do I pick the base case of a recursive function?",
    ]
    replies = [await _ask(api, user_a, conversation["id"], q) for q in questions]
    assert [r["suggest_tutor"] for r in replies] == [False, False, True]
    reason = replies[-1]["tutor_reason"]
    assert "Base cases in recursion" in reason and "3 times" in reason and "21%" in reason
    handoff = await api.http.get(f"/v1/tutor-handoffs/{replies[-1]['handoff_id']}", headers=api.auth(user_a))
    assert handoff.status_code == 200
    summary = handoff.json()["summary"]
    assert summary["recent_questions"] == questions
    weak = {w["title"]: w for w in summary["weak_topics"]}
    assert weak["Base cases in recursion"]["mastery"] == 0.21
    assert "attempts" in summary["practice"]


async def test_an_idle_conversation_closes_and_the_next_question_reopens_it(stack_with, user_a):
    api = await stack_with(conversation_idle_minutes=0.02)
    await ingested(api, user_a, "recursion.md", NOTES)
    conversation = await _conversation(api, user_a)
    await _ask(api, user_a, conversation["id"], "What is a base case?")

    async def status():
        return (await api.http.get(f"/v1/conversations/{conversation['id']}", headers=api.auth(user_a))).json()[
            "status"
        ]

    await poll_until(status, lambda s: s == "idle", timeout=30)
    reply = await _ask(api, user_a, conversation["id"], "What does memoisation store?")
    assert reply["answerable"] is True
    history = (await api.http.get(f"/v1/conversations/{conversation['id']}", headers=api.auth(user_a))).json()
    assert history["status"] == "open" and len(history["messages"]) == 4
