"""Connect to Temporal with the pydantic data converter (shared by API, worker and CLI)."""

from __future__ import annotations

import logging

from temporalio.client import Client, TLSConfig
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from tenacity import AsyncRetrying, before_sleep_log, retry_if_exception_type, stop_after_delay, wait_exponential

from studyflow.settings import Settings
from studyflow.tracing import temporal_interceptors

log = logging.getLogger("studyflow.temporal")


def tls_and_api_key(settings: Settings) -> tuple[bool | TLSConfig, str | None]:
    """An API key needs TLS, but it must not replace a client certificate (mTLS) that was also set."""
    tls: bool | TLSConfig = settings.temporal_tls
    if settings.temporal_tls_client_cert_path and settings.temporal_tls_client_key_path:
        tls = TLSConfig(
            client_cert=settings.temporal_tls_client_cert_path.read_bytes(),
            client_private_key=settings.temporal_tls_client_key_path.read_bytes(),
        )
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    if api_key and tls is False:
        tls = True
    return tls, api_key


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    tls, api_key = tls_and_api_key(settings)
    return await Client.connect(
        settings.temporal_address or f"127.0.0.1:{settings.temporal_port}",
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        tls=tls,
        api_key=api_key,
        runtime=runtime,
        interceptors=temporal_interceptors(settings),
    )


async def connect_when_up(settings: Settings, runtime: Runtime | None = None) -> Client:
    """For long-running processes (the worker): a Temporal server that is restarting or not up yet
    is waited for, up to TEMPORAL_CONNECT_WAIT_SECONDS, instead of ending the process."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(RuntimeError),  # the SDK's "failed client connect"
        stop=stop_after_delay(settings.temporal_connect_wait_seconds),
        wait=wait_exponential(multiplier=0.5, max=5),
        before_sleep=before_sleep_log(log, logging.WARNING),
        reraise=True,
    ):
        with attempt:
            return await connect(settings, runtime)
    raise AssertionError("unreachable: tenacity reraises the last error")
