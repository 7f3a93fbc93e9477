"""`studyflow demo` walks the whole loop against a running API (here: uvicorn on a free port)."""

from __future__ import annotations

import asyncio
import io
import threading
import time
import uuid

import uvicorn

from api.app import create_app
from cli.demo import Demo
from cli.demo_org import DemoOrganization
from tests.support.scripted_openai import Reply, _free_port


async def _run_demo(settings, temporal_env, topic: str) -> tuple[int, str]:
    served = settings.model_copy(update={"temporal_address": temporal_env.client.service_client.config.target_host})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(served), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        await asyncio.sleep(0.05)
    out = io.StringIO()
    try:
        code = await asyncio.to_thread(Demo(served, f"http://127.0.0.1:{port}", topic, 60, out).run)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return code, out.getvalue()


async def test_a_failed_step_fails_the_demo_and_is_named(settings, temporal_env, worker, llm_server):
    """Issue 30: `make demo` printed "✓ flashcards 146.1s failed", then "done", and exited 0."""
    topic = f"Failing demo {uuid.uuid4().hex[:6]}"
    llm_server.on(f"flashcards for a beginner practical course on {topic}", [Reply.text("{not json")], repeat_last=True)
    code, text = await _run_demo(settings, temporal_env, topic)
    assert code == 1, text
    assert "✗ flashcards" in text and "✓ flashcards" not in text, text
    assert "1 step(s) failed" in text and "- flashcards:" in text, text
    assert "done in" not in text
    assert "✓ quiz attempt" in text  # the rest of the loop still ran


async def test_demo_completes_the_study_loop(settings, temporal_env, worker):
    served = settings.model_copy(update={"temporal_address": temporal_env.client.service_client.config.target_host})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(served), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        await asyncio.sleep(0.05)
    out = io.StringIO()
    try:
        started = time.monotonic()
        code = await asyncio.to_thread(Demo(served, f"http://127.0.0.1:{port}", "Demo topic", 60, out).run)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    text = out.getvalue()
    assert code == 0, text
    for step in ("course outline", "notes:", "flashcards", "quiz attempt", "remediation plan"):
        assert f"✓ {step}" in text, text
    assert "by primary-model" in text, "every artifact names the model that produced it"
    assert "done in" in text
    assert "quality gate: 12 asked · 12 checked: 12 passed" in text and "quality gate: 8 asked" in text, text
    assert time.monotonic() - started < 60


async def test_demo_org_seeds_a_centre_a_tutor_can_look_at(settings, temporal_env, worker):
    """`studyflow demo-org`: an admin, two tutors, six learners linked through invitations, a group
    per tutor and the quiz of a course made from a study sheet assigned to each group."""
    served = settings.model_copy(update={"temporal_address": temporal_env.client.service_client.config.target_host})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(served), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        await asyncio.sleep(0.05)
    out = io.StringIO()
    name = f"Centre {uuid.uuid4().hex[:6]}"
    try:
        demo = DemoOrganization(served, f"http://127.0.0.1:{port}", name, 120, out)
        code = await asyncio.to_thread(demo.run)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    text = out.getvalue()
    assert code == 0, text
    assert text.count("joined as learner") == 6 and text.count("joined as tutor") == 2, text
    assert "make token USER=tutor_ana ORG=org_" in text and "ROLE=tutor" in text
