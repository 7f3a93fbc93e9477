"""The restore drill: a backup taken while learners are working restores, into a fresh database,
a fresh object store and a Temporal that has never seen the work (its history is not backed up),
an API that serves the same learners, courses, attempts, reviews and sources; the reconciler then
restarts whatever was in progress, and nothing is left stuck."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import uuid
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import text
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from cli.backup_manifest import FileEntry, Manifest
from cli.embedded_temporal import temporal_binary
from cli.restore import RestoreRefused, restore_backup
from db import migrate
from db.engine import create_engine, create_session_factory
from studyflow import search_attributes
from studyflow.contracts.workflow_inputs import ReconcileInput
from tests.support import source_files as files
from tests.support.app import make_settings, open_api_client
from tests.support.courses import create_course, unique_topic
from tests.support.databases import empty_database
from tests.support.polling import poll_until
from tests.support.scripted_openai import Reply
from tests.support.sources import ingested
from tests.support.study import generated, request_content, wait_content
from worker import build_activities, build_workers
from workflows.reconciler import StuckRowReconcilerWorkflow

REPO = Path(__file__).resolve().parents[1]
IN_PROGRESS = """
SELECT (SELECT count(*) FROM courses WHERE status = 'generating')
     + (SELECT count(*) FROM topics WHERE status = 'generating')
     + (SELECT count(*) FROM study_contents WHERE status = 'generating')
     + (SELECT count(*) FROM sources WHERE status = 'processing')
"""


async def _open(stack: AsyncExitStack, url: str, settings, client):
    engine = create_engine(url)
    stack.push_async_callback(engine.dispose)
    sessions = create_session_factory(engine)
    for worker in build_workers(client, settings, build_activities(settings, sessions, client)):
        await stack.enter_async_context(worker)
    return sessions


def _studyflow(*args: str, **env: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "studyflow"), *args]
    return subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, cwd=REPO, timeout=120)


async def _reads(api, user: str, ids: dict) -> dict:
    paths = [
        "/v1/me",
        "/v1/me/stats",
        "/v1/courses",
        f"/v1/courses/{ids['course']}",
        f"/v1/study-content/{ids['quiz']}",
        f"/v1/study-content/{ids['cards']}",
        f"/v1/remediation/{ids['plan']}",
        f"/v1/flashcards/{ids['card']}",
        "/v1/weak-areas",
        "/v1/sources",
        f"/v1/sources/{ids['source']}",
    ]
    reads = {}
    for path in paths:
        response = await api.http.get(path, headers=api.auth(user))
        assert response.status_code == 200, (path, response.text)
        reads[path] = response.json()
    # A card's preview of when each rating would make it due is computed from the clock at the read,
    # not stored: present on both sides, compared without it.
    card = reads[f"/v1/flashcards/{ids['card']}"]
    assert set(card.pop("next_due")) == {"again", "hard", "good", "easy"}
    return reads


async def test_a_backup_taken_mid_load_restores_into_a_fresh_stack(
    database_url, llm_server, temporal_env, s3_server, tmp_path, user_a, user_b
):
    with (
        empty_database(database_url, "studyflow_origin") as origin_url,
        empty_database(database_url, "studyflow_restored") as restored_url,
    ):
        migrate.upgrade(origin_url)
        origin_settings = make_settings(origin_url, llm_server, tmp_path / "origin")
        async with AsyncExitStack() as stack:
            await _open(stack, origin_url, origin_settings, temporal_env.client)
            api = await open_api_client(stack, origin_settings, temporal_env)

            # Learner A's finished work: a course with a quiz, an attempt (and its remediation plan),
            # flashcards with a review, and an uploaded source.
            quiz = await generated(api, user_a, unique_topic("backup"), "quiz")
            attempt = await api.http.post(
                f"/v1/quizzes/{quiz['id']}/attempts",
                json={"answers": {q["id"]: 0 for q in quiz["questions"]}, "duration_seconds": 40},
                headers=api.auth(user_a),
            )
            assert attempt.status_code == 201, attempt.text
            cards_id = (await request_content(api, user_a, quiz["course_id"], "flashcards")).json()["id"]
            await wait_content(api, user_a, cards_id)
            due = (await api.http.get("/v1/flashcards/due?limit=100", headers=api.auth(user_a))).json()
            card = due["cards"][0]["card_id"]
            review = await api.http.post(
                f"/v1/flashcards/{card}/reviews", json={"rating": "good"}, headers=api.auth(user_a)
            )
            assert review.status_code == 201, review.text
            upload = files.pdf(["Normal forms remove redundancy from relational tables."])
            source = await ingested(api, user_a, "normal-forms.pdf", upload)
            plan = attempt.json()["remediation_plan_id"]
            await poll_until(
                lambda: api.http.get(f"/v1/remediation/{plan}", headers=api.auth(user_a)),
                lambda r: r.json()["status"] == "completed",
            )
            ids = {"course": quiz["course_id"], "quiz": quiz["id"], "cards": cards_id, "card": card}
            ids |= {"plan": plan, "source": source["id"]}
            before = await _reads(api, user_a, ids)

            # Learner B keeps creating courses, each outline a slow LLM call, while the backup runs.
            llm_server.on("mid-backup", [Reply.auto(delay=1.0)], repeat_last=True)
            started = [(await create_course(api, user_b, unique_topic("mid-backup")))["course_id"] for _ in range(3)]
            backup_dir = tmp_path / "backup"
            backup = asyncio.create_task(
                asyncio.to_thread(
                    _studyflow,
                    "backup",
                    str(backup_dir),
                    DATABASE_URL=origin_url,
                    DATA_DIR=str(origin_settings.data_dir),
                )
            )
            while not backup.done():
                started.append((await create_course(api, user_b, unique_topic("mid-backup")))["course_id"])
                await asyncio.sleep(0.2)
            result = await backup
            assert result.returncode == 0, result.stderr
        manifest = Manifest.read(backup_dir)
        assert [entry.sha256 for entry in manifest.objects] == [hashlib.sha256(upload).hexdigest()]

        # The restore: an empty database, an empty bucket, a Temporal that knows nothing.
        bucket = s3_server.new_bucket()
        s3 = {k.upper(): str(v) for k, v in s3_server.settings_for(bucket).items()}
        restored = _studyflow("restore", str(backup_dir), DATABASE_URL=restored_url, **s3)
        assert restored.returncode == 0, restored.stderr
        with pytest.raises(RestoreRefused, match="is not empty"):
            restore_backup(backup_dir, restored_url, store=None)

        fresh_temporal = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_binary(),
            data_converter=pydantic_data_converter,
            search_attributes=search_attributes.ALL,
            dev_server_log_level="error",
        )
        try:
            # Same queue names as the origin: the outbox records name the queue a start goes to.
            queues = {
                "task_queue_interactive": origin_settings.task_queue_interactive,
                "task_queue_background": origin_settings.task_queue_background,
            }
            restored_settings = make_settings(
                restored_url, llm_server, tmp_path / "restored", **queues, **s3_server.settings_for(bucket)
            )
            async with AsyncExitStack() as stack:
                sessions = await _open(stack, restored_url, restored_settings, fresh_temporal.client)
                api = await open_api_client(stack, restored_settings, fresh_temporal)
                assert await _reads(api, user_a, ids) == before

                async with sessions() as session:
                    in_progress_at_backup = await session.scalar(text(IN_PROGRESS))
                await fresh_temporal.client.execute_workflow(
                    StuckRowReconcilerWorkflow.run,
                    ReconcileInput(relay_after_seconds=0, stuck_after_seconds=0),
                    id=f"reconcile-{uuid.uuid4().hex[:8]}",
                    task_queue=restored_settings.task_queue_interactive,
                )

                async def in_progress():
                    async with sessions() as session:
                        return await session.scalar(text(IN_PROGRESS))

                assert await poll_until(in_progress, lambda n: n == 0, timeout=30) == 0
                courses = (await api.http.get("/v1/courses?limit=100", headers=api.auth(user_b))).json()["items"]
                assert courses and {c["status"] for c in courses} == {"ready"}
        finally:
            await fresh_temporal.shutdown()
        listed = s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]
        assert [item["Key"] for item in listed] == [manifest.objects[0].path.removeprefix("objects/")]
        assert in_progress_at_backup > 0  # the backup did catch work in flight


@pytest.mark.parametrize("damage", ["flip", "drop"])
def test_a_damaged_backup_is_refused_before_anything_is_written(tmp_path, damage):
    (tmp_path / "database").mkdir()
    dump = tmp_path / "database" / "toc.dat"
    dump.write_bytes(b"table of contents")
    manifest = Manifest("2026-01-01T00:00:00+00:00", "head", 16, "pg_dump", "local")
    manifest.database_files = [FileEntry("database/toc.dat", 17, hashlib.sha256(b"table of contents").hexdigest())]
    manifest.write(tmp_path)
    if damage == "flip":
        dump.write_bytes(b"table of contentz")
    else:
        dump.unlink()
    with pytest.raises(RestoreRefused, match="damaged; nothing was restored"):
        restore_backup(tmp_path, "postgresql://nobody@127.0.0.1:1/none", store=None)
