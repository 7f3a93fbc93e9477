"""Connect to Temporal with the pydantic data converter (shared by API, worker and CLI)."""

from __future__ import annotations

from temporalio.client import Client, TLSConfig
from temporalio.contrib.pydantic import pydantic_data_converter

from studyflow.settings import Settings


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


async def connect(settings: Settings) -> Client:
    tls, api_key = tls_and_api_key(settings)
    return await Client.connect(
        settings.temporal_address or f"127.0.0.1:{settings.temporal_port}",
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        tls=tls,
        api_key=api_key,
    )
