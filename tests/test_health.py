from __future__ import annotations

from contextlib import AsyncExitStack

from tests.support.app import make_settings


async def test_liveness(api):
    response = await api.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


async def test_readiness_checks_database_and_temporal(api):
    response = await api.http.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "temporal": "ok"}


async def test_readiness_reports_an_unreachable_temporal(database_url, llm_server, tmp_path, temporal_env):
    settings = make_settings(database_url, llm_server, tmp_path, temporal_address="127.0.0.1:1")
    async with AsyncExitStack() as stack:
        # No client handed in: the API connects itself, to a port where nothing listens.
        import httpx

        from api.app import create_app

        app = create_app(settings)
        await stack.enter_async_context(app.router.lifespan_context(app))
        http = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        )
        response = await http.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["temporal"].startswith("error")


async def test_client_request_id_is_echoed(api):
    response = await api.http.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_unknown_route_has_the_json_error_shape(api):
    response = await api.http.get("/v1/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
