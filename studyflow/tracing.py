"""OpenTelemetry traces: a request that starts a workflow is one trace — the API span, the
workflow and its activities (Temporal's TracingInterceptor carries the context through history),
the LLM HTTP call (a client span the gateway opens around it) and the SQL statements. Exported
over OTLP/HTTP when OTLP_ENDPOINT is set; otherwise nothing is instrumented and nothing is paid."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.contrib.opentelemetry import TracingInterceptor

from studyflow.settings import Settings


def install_tracer_provider(settings: Settings, service: str, exporter: SpanExporter | None = None) -> bool:
    """Sets the process's tracer provider once (OpenTelemetry allows one); False when tracing is off
    or a provider is already set."""
    endpoint = settings.otlp_endpoint
    if not endpoint and exporter is None:
        return False
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return False
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        assert endpoint, "no exporter given, so the check above found an endpoint"
        exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return True


def temporal_interceptors(settings: Settings) -> list:
    """Client interceptors; the worker takes the ones that also intercept workers from its client."""
    return [TracingInterceptor()] if settings.otlp_endpoint else []


def instrument_io(settings: Settings, *engines: AsyncEngine) -> None:
    """These engines' SQL, and other outgoing HTTP (e.g. fetching a learner's web page)."""
    if not settings.otlp_endpoint:
        return
    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
    # The instrumentation hooks SQLAlchemy's engine events, which 2.1 keeps; its version pin lags.
    SQLAlchemyInstrumentor().instrument(engines=[engine.sync_engine for engine in engines], skip_dep_check=True)
