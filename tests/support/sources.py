"""Adding a source through the API and waiting for its ingestion to settle."""

from __future__ import annotations

from tests.support.app import ApiClient
from tests.support.polling import poll_until


async def upload(api: ApiClient, user: str, name: str, data: bytes, content_type: str = "application/octet-stream"):
    return await api.http.post("/v1/sources", files={"file": (name, data, content_type)}, headers=api.auth(user))


async def add_url(api: ApiClient, user: str, url: str):
    return await api.http.post("/v1/sources", json={"url": url}, headers=api.auth(user))


async def settled(api: ApiClient, user: str, source_id: str, timeout: float = 60) -> dict:
    async def fetch():
        return (await api.http.get(f"/v1/sources/{source_id}", headers=api.auth(user))).json()

    return await poll_until(fetch, lambda s: s["status"] != "processing", timeout=timeout, every=0.2)


async def ingested(api: ApiClient, user: str, name: str, data: bytes) -> dict:
    response = await upload(api, user, name, data)
    assert response.status_code == 202, response.text
    return await settled(api, user, response.json()["id"])
