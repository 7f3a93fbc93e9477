"""Workflow code must replay recorded histories deterministically.

Stored histories in tests/data/histories/ were recorded from real runs; a change to workflow code
that would break running executions fails here. Record new ones with STUDYFLOW_RECORD_HISTORIES=1.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from studyflow.contracts.workflow_inputs import ReconcileInput
from tests.support import source_files
from tests.support.courses import ready_course
from tests.support.polling import poll_until
from tests.support.replay import HISTORIES, RECORDING_LABEL, replayer
from tests.support.sources import ingested
from tests.support.study import request_content, wait_content
from worker import WORKFLOWS
from workflows.reconciler import StuckRowReconcilerWorkflow


def _replayer() -> Replayer:
    return replayer()


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_stored_history_replays(path: Path):
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await _replayer().replay_workflow(history)


def test_histories_are_stored_for_every_workflow():
    stored = {p.stem.split("__")[0] for p in HISTORIES.glob("*.json")}
    assert {wf.__name__ for wf in WORKFLOWS} <= stored


async def test_fresh_course_and_notes_histories_replay(api, temporal_env, user_a):
    course = await ready_course(api, user_a, "replay")
    topic_id = course["chapters"][0]["topics"][0]["id"]
    await api.http.post(f"/v1/topics/{topic_id}/notes", headers=api.auth(user_a))

    async def topic_status():
        return (await api.http.get(f"/v1/topics/{topic_id}", headers=api.auth(user_a))).json()["status"]

    await poll_until(topic_status, lambda s: s == "completed")
    quiz = (await request_content(api, user_a, course["id"], "quiz")).json()
    await wait_content(api, user_a, quiz["id"])
    attempt = (
        await api.http.post(f"/v1/quizzes/{quiz['id']}/attempts", json={"answers": {}}, headers=api.auth(user_a))
    ).json()

    async def plan_status():
        plan_url = f"/v1/remediation/{attempt['remediation_plan_id']}"
        return (await api.http.get(plan_url, headers=api.auth(user_a))).json()["status"]

    await poll_until(plan_status, lambda s: s == "completed")
    client = temporal_env.client
    histories = {
        "CourseGenerationWorkflow": await client.get_workflow_handle(course["workflow_id"]).fetch_history(),
        "TopicNotesWorkflow": await client.get_workflow_handle(f"topic-notes-{topic_id}").fetch_history(),
        "StudyContentWorkflow": await client.get_workflow_handle(quiz["workflow_id"]).fetch_history(),
        "RemediationWorkflow": await client.get_workflow_handle(f"remediation-{attempt['attempt_id']}").fetch_history(),
    }
    for name, history in histories.items():
        await _replayer().replay_workflow(history)
        if os.environ.get("STUDYFLOW_RECORD_HISTORIES"):
            (HISTORIES / f"{name}__{RECORDING_LABEL}.json").write_text(history.to_json())


async def test_fresh_source_ingestion_history_replays(api, temporal_env, user_a):
    source = await ingested(
        api, user_a, "replay.pdf", source_files.pdf(["First page on graphs.", "Second page on trees."])
    )
    assert source["status"] == "ready"
    history = await temporal_env.client.get_workflow_handle(source["workflow_id"]).fetch_history()
    await _replayer().replay_workflow(history)
    if os.environ.get("STUDYFLOW_RECORD_HISTORIES"):
        (HISTORIES / f"SourceIngestionWorkflow__{RECORDING_LABEL}.json").write_text(history.to_json())


async def test_fresh_conversation_history_replays(api, temporal_env, user_a):
    await ingested(api, user_a, "replay-notes.md", b"# Graphs\n\nA graph has vertices joined by edges.\n")
    conversation = (await api.http.post("/v1/conversations", json={}, headers=api.auth(user_a))).json()
    for question in ("What joins the vertices of a graph?", "What is the capital of Peru?"):
        response = await api.http.post(
            f"/v1/conversations/{conversation['id']}/messages",
            params={"wait": "true"},
            json={"question": question},
            headers=api.auth(user_a),
        )
        assert response.status_code == 200, response.text
    history = await temporal_env.client.get_workflow_handle(conversation["workflow_id"]).fetch_history()
    await _replayer().replay_workflow(history)
    if os.environ.get("STUDYFLOW_RECORD_HISTORIES"):
        (HISTORIES / f"ConversationWorkflow__{RECORDING_LABEL}.json").write_text(history.to_json())


async def test_fresh_reconciler_history_replays(api, temporal_env, settings):
    handle = await temporal_env.client.start_workflow(
        StuckRowReconcilerWorkflow.run,
        # Nothing in this session is that old: the run looks, finds nothing, and records both steps.
        ReconcileInput(relay_after_seconds=86400, stuck_after_seconds=86400),
        id=f"reconcile-replay-{uuid.uuid4().hex[:8]}",
        task_queue=settings.task_queue_interactive,
    )
    result = await handle.result()
    assert result.relayed == result.restarted == result.failed == 0
    history = await handle.fetch_history()
    await _replayer().replay_workflow(history)
    if os.environ.get("STUDYFLOW_RECORD_HISTORIES"):
        (HISTORIES / f"StuckRowReconcilerWorkflow__{RECORDING_LABEL}.json").write_text(history.to_json())


async def test_fresh_subject_suggestions_history_replays(api, temporal_env, user_a):
    course = await ready_course(api, user_a, "replay-goal")
    goal = (
        await api.http.post(
            "/v1/goals", json={"kind": "mastery", "course_id": course["id"], "target": 0.9}, headers=api.auth(user_a)
        )
    ).json()
    await api.http.post(f"/v1/goals/{goal['id']}/complete", headers=api.auth(user_a))
    handle = temporal_env.client.get_workflow_handle(f"subject-suggestions-{goal['id']}")
    assert await handle.result() == "suggested"
    history = await handle.fetch_history()
    await _replayer().replay_workflow(history)
    if os.environ.get("STUDYFLOW_RECORD_HISTORIES"):
        (HISTORIES / f"SubjectSuggestionsWorkflow__{RECORDING_LABEL}.json").write_text(history.to_json())


async def test_fresh_grading_history_replays(stack_with, temporal_env, session_factory, user_a):
    """A routed answer, then the reviewer's grade: the wait and the Update are in the history."""
    from tests.support.grading import link_reviewer, queue, short_answer_quiz, wait_attempt

    api = await stack_with(grading_confidence_threshold=1.01, grading_llm_confidence_threshold=1.01)
    tutor = f"tutor_{uuid.uuid4().hex[:10]}"
    quiz_id, _ = await short_answer_quiz(api, session_factory, user_a, "replay-grading")
    await link_reviewer(api, session_factory, user_a, tutor)
    submitted = await api.http.post(
        f"/v1/quizzes/{quiz_id}/attempts",
        json={"answers": {"q1": 1, "s1": "Chlorophyll takes in light and water is split."}},
        headers=api.auth(user_a),
    )
    attempt_id = submitted.json()["attempt_id"]
    await wait_attempt(api, user_a, attempt_id, lambda a: a["short_answers"][0]["status"] == "pending_review")
    [task] = await queue(api, tutor)
    graded = await api.http.post(
        f"/v1/grading-reviews/{task['id']}/grade",
        json={"scores": {"p1": 1, "p2": 0.5, "p3": 0}},
        headers=api.auth(tutor),
    )
    assert graded.status_code == 200, graded.text
    handle = temporal_env.client.get_workflow_handle(f"grading-{attempt_id}")
    assert await handle.result() == "graded"
    history = await handle.fetch_history()
    await _replayer().replay_workflow(history)
    if os.environ.get("STUDYFLOW_RECORD_HISTORIES"):
        (HISTORIES / f"GradingWorkflow__{RECORDING_LABEL}.json").write_text(history.to_json())
