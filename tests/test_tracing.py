"""One trace from `POST /v1/courses` through the workflow and its activities to the LLM call and
the SQL, and a polled read's statement in its request's trace, collected by an in-memory
exporter (OTLP in production)."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack

from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from db.engine import create_engine
from studyflow.temporal_client import connect
from studyflow.tracing import install_tracer_provider, instrument_io
from tests.support.app import make_settings, open_api_client
from tests.support.courses import unique_topic, wait_for_course
from worker import build_activities, build_workers


async def test_a_course_request_is_one_trace_from_the_api_to_the_llm_call(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    exporter = InMemorySpanExporter()
    # The collector address is never dialled: the in-memory exporter takes the spans.
    settings = make_settings(database_url, llm_server, tmp_path, otlp_endpoint="http://127.0.0.1:9")
    installed = install_tracer_provider(settings, "studyflow-test", exporter=exporter)
    assert installed or isinstance(trace.get_tracer_provider(), TracerProvider)
    address = temporal_env.client.service_client.config.target_host
    client = await connect(settings.model_copy(update={"temporal_address": address}))
    worker_engine = create_engine(database_url)
    instrument_io(settings, worker_engine)
    try:
        async with AsyncExitStack() as stack:
            for worker in build_workers(client, settings, build_activities(settings, session_factory, client)):
                await stack.enter_async_context(worker)
            api = await open_api_client(stack, settings, temporal_env, temporal_client=client)
            request_id = f"trace-{uuid.uuid4().hex[:8]}"
            response = await api.http.post(
                "/v1/courses",
                json={"topic": unique_topic("traced")},
                headers={**api.auth(user_a), "X-Request-ID": request_id},
            )
            assert response.status_code == 202
            await wait_for_course(api, user_a, response.json()["course_id"])
            read_id = f"read-{uuid.uuid4().hex[:8]}"
            polled = await api.http.get(
                f"/v1/courses/{response.json()['course_id']}", headers={**api.auth(user_a), "X-Request-ID": read_id}
            )
            assert polled.status_code == 200
        trace.get_tracer_provider().force_flush()
    finally:
        HTTPXClientInstrumentor().uninstrument()
        SQLAlchemyInstrumentor().uninstrument()
        await worker_engine.dispose()

    spans = exporter.get_finished_spans()
    [request] = [s for s in spans if s.attributes.get("studyflow.request_id") == request_id]
    in_trace = [s for s in spans if s.context.trace_id == request.context.trace_id]
    names = {s.name for s in in_trace}
    assert "StartWorkflow:CourseGenerationWorkflow" in names, names
    assert "RunWorkflow:CourseGenerationWorkflow" in names, names
    assert "RunActivity:generate_outline" in names, names
    [llm_call] = [s for s in in_trace if s.name == "chat primary-model"]
    assert llm_call.attributes["url.full"].endswith("/primary/v1/chat/completions")
    assert llm_call.attributes["studyflow.llm.purpose"] == "course_outline"
    [outline] = [s for s in in_trace if s.name == "RunActivity:generate_outline"]
    assert llm_call.parent.span_id == outline.context.span_id, "the call is a child of the activity that made it"
    assert any(
        s.attributes.get("db.system") == "postgresql" or s.attributes.get("db.system.name") == "postgresql"
        for s in in_trace
    )

    # A polled read runs on the read pool, not the instrumented engine: it names its statement itself.
    [read] = [s for s in spans if s.attributes.get("studyflow.request_id") == read_id]
    [statement] = [s for s in spans if s.name == "SELECT course" and s.context.trace_id == read.context.trace_id]
    assert statement.attributes["db.system.name"] == "postgresql"
    assert statement.kind == trace.SpanKind.CLIENT
