"""A real Temporal client that cannot start workflows: it talks to the session's server, but in a
namespace that does not exist, so every start fails with the server's own NotFound error."""

from __future__ import annotations

import uuid

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter


async def client_that_cannot_start(temporal_env) -> Client:
    return await Client.connect(
        temporal_env.client.service_client.config.target_host,
        namespace=f"missing-{uuid.uuid4().hex[:8]}",
        data_converter=pydantic_data_converter,
    )
