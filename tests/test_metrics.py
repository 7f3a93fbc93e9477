"""Prometheus metrics: the API's request series by route template, and the worker's product and
Temporal SDK series, scraped over HTTP from a worker process after real work."""

from __future__ import annotations

import asyncio
import json
import re
from contextlib import AsyncExitStack
from pathlib import Path

import httpx

from tests.support.app import make_settings, open_api_client
from tests.support.courses import create_course, unique_topic
from tests.support.live_server import free_port
from tests.support.polling import poll_until
from tests.support.study import ready_course_on, request_content, wait_content
from tests.support.worker_process import spawn_worker

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")
METRIC_NAME = re.compile(r"\b((?:studyflow|temporal)_[a-z_]+)\b")
REPO = Path(__file__).resolve().parents[1]


def _dashboard_metric_names() -> set[str]:
    dashboard = json.loads((REPO / "deploy" / "grafana" / "dashboards" / "studyflow.json").read_text())
    names = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            names |= {re.sub(r"_(bucket|sum|count)$", "", n) for n in METRIC_NAME.findall(target["expr"])}
    return names


def _sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_the_api_counts_requests_by_route_template(api, user_a):
    accepted = await create_course(api, user_a, unique_topic("metrics"))
    for _ in range(3):
        await api.http.get(f"/v1/courses/{accepted['course_id']}", headers=api.auth(user_a))
    await api.http.get("/v1/no-such-thing", headers=api.auth(user_a))
    text = (await api.http.get("/metrics")).text
    assert (
        _sample(text, "studyflow_http_requests_total", method="GET", route="/v1/courses/{course_id}", status="200") >= 3
    )
    assert _sample(text, "studyflow_http_requests_total", method="POST", route="/v1/courses", status="202") >= 1
    assert (
        _sample(text, "studyflow_http_request_duration_seconds_count", method="GET", route="/v1/courses/{course_id}")
        >= 3
    )
    assert "studyflow_http_requests_in_flight" in text
    series = [line for line in text.splitlines() if line.startswith("studyflow_http_")]
    assert not [line for line in series if UUID.search(line)], "an id in a label makes the label set unbounded"


async def test_a_worker_process_serves_llm_cache_and_sdk_metrics(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    settings = make_settings(database_url, llm_server, tmp_path)
    address = temporal_env.client.service_client.config.target_host
    product_port, sdk_port = free_port(), free_port()
    worker = spawn_worker(settings, address, WORKER_METRICS_PORT=str(product_port), TEMPORAL_METRICS_PORT=str(sdk_port))
    try:
        async with AsyncExitStack() as stack:
            api = await open_api_client(stack, settings, temporal_env)
            topic = unique_topic("worker metrics")
            for _ in range(2):  # the same quiz twice: a cache miss, then a hit
                course = await ready_course_on(api, user_a, topic)
                quiz = (await request_content(api, user_a, course["id"], "quiz")).json()
                await wait_content(api, user_a, quiz["id"], timeout=90)
            cards = (await request_content(api, user_a, course["id"], "flashcards")).json()
            await wait_content(api, user_a, cards["id"], timeout=90)
            topic_id = course["chapters"][0]["topics"][0]["id"]
            await api.http.post(f"/v1/topics/{topic_id}/notes", headers=api.auth(user_a))

            async def notes_status() -> str:
                return (await api.http.get(f"/v1/topics/{topic_id}", headers=api.auth(user_a))).json()["status"]

            await poll_until(notes_status, lambda status: status == "completed", timeout=90)

        async def scrape(port: int) -> str:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"http://127.0.0.1:{port}/metrics")).text

        text = await scrape(product_port)
        assert (
            _sample(text, "studyflow_llm_calls_total", purpose="course_outline", provider="primary", outcome="ok") >= 1
        )
        assert (
            _sample(text, "studyflow_llm_call_duration_seconds_count", purpose="course_outline", provider="primary")
            >= 1
        )
        assert (
            _sample(text, "studyflow_llm_tokens_total", purpose="course_outline", provider="primary", kind="prompt") > 0
        )
        assert _sample(text, "studyflow_cache_lookups_total", result="miss") == 2  # the first quiz, the flashcards
        assert _sample(text, "studyflow_cache_lookups_total", result="exact") == 1
        assert _sample(text, "studyflow_llm_calls_total", purpose="quiz", provider="primary", outcome="ok") == 1
        assert _sample(text, "studyflow_llm_calls_total", purpose="flashcards", provider="primary", outcome="ok") == 1
        assert _sample(text, "studyflow_llm_calls_total", purpose="topic_notes", provider="primary", outcome="ok") == 1
        assert (
            _sample(text, "studyflow_llm_calls_total", purpose="course_outline", provider="primary", outcome="ok") == 2
        )
        assert "studyflow_retrieval_served_total{tier=" in text  # the quiz that missed the cache retrieved
        sdk = await scrape(sdk_port)
        assert "temporal_activity_schedule_to_start_latency" in sdk, sdk[:1500]
        assert "temporal_worker_task_slots_available" in sdk, sdk[:1500]
        async with AsyncExitStack() as stack:
            api = await open_api_client(stack, settings, temporal_env)
            served = (await api.http.get("/metrics")).text
        assert 'studyflow_rows{status="ready",table="courses"}' in served
        # Every query of the provisioned dashboard names a series these processes export.
        exported = {
            line.split("{")[0].split(" ")[0] for line in (served + text + sdk).splitlines() if line and line[0] != "#"
        }
        missing = [n for n in sorted(_dashboard_metric_names()) if not {n, f"{n}_bucket", f"{n}_total"} & exported]
        assert not missing, f"the dashboard queries {missing}, which nothing exports; SDK series: {sorted(exported)}"
    finally:
        worker.kill()
        await asyncio.to_thread(worker.wait)


async def test_metrics_need_the_token_when_one_is_set_and_count_rows_at_most_once_per_interval(
    database_url, llm_server, tmp_path, temporal_env
):
    settings = make_settings(
        database_url, llm_server, tmp_path, metrics_token="scrape-secret", metrics_rows_cache_seconds=30
    )
    async with AsyncExitStack() as stack:
        api = await open_api_client(stack, settings, temporal_env)
        anonymous = await api.http.get("/metrics")
        wrong = await api.http.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert (anonymous.status_code, wrong.status_code) == (401, 401)
        assert anonymous.json()["error"]["code"] == "unauthenticated"
        scrapes = [await api.http.get("/metrics", headers={"Authorization": "Bearer scrape-secret"}) for _ in range(5)]
        assert all(s.status_code == 200 and "studyflow_rows" in s.text for s in scrapes)
        # Five scrapes, one statement over the tables (the counts scan them whole).
        assert api.app.state.status_metrics.reads == 1
