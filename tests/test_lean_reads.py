"""The polled reads' lean path (issue 17): conditional GET with ETag → 304, one statement that
also looks the learner up (so a deleted account is refused even with a fresh ETag), verified
tokens cached only until they expire, the read pool's statements as psycopg runs them, and the
course workflow's database steps run as local activities."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy import update
from temporalio.api.enums.v1 import EventType

from api.dev_auth import ensure_keypair, mint_session_token
from db.models import User
from db.read_pool import PolledRead, create_read_pool
from tests.support.api_process import spawn_api
from tests.support.courses import create_course, ready_course, unique_topic
from tests.support.polling import poll_until
from tests.support.study import request_content, wait_content


async def _conditional_round(api, user: str, url: str) -> str:
    """200 with an ETag, then 304 with no body for the same ETag; returns the ETag."""
    first = await api.http.get(url, headers=api.auth(user))
    assert first.status_code == 200, first.text
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = await api.http.get(url, headers={**api.auth(user), "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    weak = await api.http.get(url, headers={**api.auth(user), "If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304
    stale = await api.http.get(url, headers={**api.auth(user), "If-None-Match": '"not-this-one"'})
    assert stale.status_code == 200 and stale.json() == first.json()
    return etag


async def test_every_polled_read_answers_304_when_nothing_changed(api, user_a):
    course = await ready_course(api, user_a, "etag")
    topic_id = course["chapters"][0]["topics"][0]["id"]
    quiz = (await request_content(api, user_a, course["id"], "quiz")).json()
    await wait_content(api, user_a, quiz["id"])
    attempt = (
        await api.http.post(f"/v1/quizzes/{quiz['id']}/attempts", json={"answers": {}}, headers=api.auth(user_a))
    ).json()
    plan_url = f"/v1/remediation/{attempt['remediation_plan_id']}"
    await poll_until(
        lambda: api.http.get(plan_url, headers=api.auth(user_a)), lambda r: r.json()["status"] == "completed"
    )
    for url in (
        f"/v1/courses/{course['id']}",
        f"/v1/topics/{topic_id}",
        f"/v1/study-content/{quiz['id']}",
        plan_url,
        "/v1/dashboard",
    ):
        await _conditional_round(api, user_a, url)


async def test_the_etag_changes_when_the_course_does(api, user_a):
    course = await ready_course(api, user_a, "etag-change")
    url = f"/v1/courses/{course['id']}"
    etag = await _conditional_round(api, user_a, url)
    topic_id = course["chapters"][0]["topics"][0]["id"]
    await api.http.post(f"/v1/topics/{topic_id}/notes", headers=api.auth(user_a))
    changed = await poll_until(
        lambda: api.http.get(url, headers={**api.auth(user_a), "If-None-Match": etag}),
        lambda r: r.status_code == 200,
    )
    assert changed.headers["ETag"] != etag
    statuses = {t["id"]: t["status"] for ch in changed.json()["chapters"] for t in ch["topics"]}
    assert statuses[topic_id] in ("generating", "completed")


async def test_a_deleted_account_gets_401_not_304_and_strangers_404(api, session_factory, user_a, user_b):
    course = await ready_course(api, user_a, "etag-deleted")
    url = f"/v1/courses/{course['id']}"
    etag = await _conditional_round(api, user_a, url)
    stranger = await api.http.get(url, headers={**api.auth(user_b), "If-None-Match": etag})
    assert stranger.status_code == 404 and "ETag" not in stranger.headers
    assert stranger.headers["Cache-Control"] == "no-store"
    async with session_factory.begin() as session:
        await session.execute(update(User).where(User.clerk_id == user_a).values(deleted_at=User.created_at))
    for read in (url, "/v1/dashboard"):
        refused = await api.http.get(read, headers={**api.auth(user_a), "If-None-Match": etag})
        assert refused.status_code == 401, read


async def test_a_first_request_to_a_polled_read_provisions_the_learner(api, user_a):
    dashboard = await api.http.get("/v1/dashboard", headers=api.auth(user_a))
    assert dashboard.status_code == 200 and dashboard.json()["courses"] == []
    missing = await api.http.get("/v1/topics/00000000-0000-0000-0000-000000000000", headers=api.auth(f"{user_a}-new"))
    assert missing.status_code == 404


async def test_a_polled_read_keeps_literal_percent_signs_casts_and_repeated_parameters(database_url):
    read = PolledRead.of(
        "probe", "SELECT CAST(:n AS int) + 1 AS next, '5%'::text AS share, CAST(:n AS int) * 2 AS twice"
    )
    pool = create_read_pool(database_url, 1)
    await pool.open()
    try:
        async with pool.connection() as connection:
            row = await (await connection.execute(read.sql, {"n": 20})).fetchone()
            # Autocommit: nothing is left open on the connection the pool hands to the next read.
            assert connection.info.transaction_status.name == "IDLE"
    finally:
        await pool.close()
    assert row == {"next": 21, "share": "5%", "twice": 40}


async def test_a_verified_token_is_reused_only_until_it_expires(stack_with, user_a):
    # No clock-skew allowance, so the token's own two seconds are all the test waits.
    api = await stack_with(token_clock_skew_seconds=0)
    token = api.token(user_a, ttl_seconds=2)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.http.get("/v1/dashboard", headers=headers)).status_code == 200
    assert (await api.http.get("/v1/dashboard", headers=headers)).status_code == 200
    # Past `exp`: the cached verification must not outlive it.
    await asyncio.sleep(2.5)
    expired = await api.http.get("/v1/dashboard", headers=headers)
    assert expired.status_code == 401
    assert (await api.http.get("/v1/dashboard", headers={"Authorization": f"Bearer {token}x"})).status_code == 401


async def test_the_course_workflow_runs_its_database_steps_locally(api, temporal_env, user_a):
    accepted = await create_course(api, user_a, unique_topic("local-steps"))
    await poll_until(
        lambda: api.http.get(f"/v1/courses/{accepted['course_id']}", headers=api.auth(user_a)),
        lambda r: r.json()["status"] == "ready",
    )
    handle = temporal_env.client.get_workflow_handle(accepted["workflow_id"])
    await handle.result()
    history = await handle.fetch_history()
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    local = [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]
    assert "generate_outline" in scheduled
    assert "persist_outline" not in scheduled and "mark_course_ready" not in scheduled
    assert len(local) == 2  # persist_outline and mark_course_ready


def _server_processes(pid: int) -> list[int]:
    """uvicorn's worker processes (multiprocessing's resource tracker is a child too)."""
    children = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


async def test_several_api_processes_serve_one_port_and_metrics_count_them_all(
    settings, temporal_env, tmp_path, user_a
):
    """`studyflow api --processes 2`: two server processes; /metrics, whichever answers it, counts
    every request of both (their series are summed from PROMETHEUS_MULTIPROC_DIR)."""
    address = temporal_env.client.service_client.config.target_host
    metrics_dir = tmp_path / "api-metrics"
    (metrics_dir).mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")  # a previous run's: must be wiped
    process, base_url = await asyncio.to_thread(
        spawn_api, settings, address, processes=2, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)
    )
    try:
        assert len(_server_processes(process.pid)) == 2
        token = mint_session_token(ensure_keypair(settings.dev_key_dir)[0], user_a)
        requests = 40

        async def one() -> int:
            # A connection per request, so the kernel hands them to either process.
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
                return (await http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code

        assert await asyncio.gather(*[one() for _ in range(requests)]) == [200] * requests
        served_by = {path.stem.rsplit("_", 1)[1] for path in metrics_dir.glob("counter_*.db")}
        assert "999999" not in served_by
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            text = (await http.get("/metrics")).text
        counted = [
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("studyflow_http_requests_total{") and 'route="/v1/me"' in line and 'status="200"' in line
        ]
        assert counted == [requests]
        # The scrape itself is in flight; the rows gauge is read from the database at each scrape.
        assert "studyflow_http_requests_in_flight 1.0" in text and "# TYPE studyflow_rows gauge" in text
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 30)
