from __future__ import annotations

from contextlib import AsyncExitStack

from tests.support.app import make_settings


async def test_liveness(api):
    response = await api.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


async def test_readiness_checks_database_temporal_and_workers(api):
    response = await api.http.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "temporal": "ok", "workers": "ok"}


async def test_readiness_is_red_until_a_worker_polls_every_queue(
    database_url, llm_server, tmp_path, temporal_env, session_factory
):
    import asyncio

    from api.routes.health import WORKERS_CACHE_SECONDS
    from tests.support.app import open_api_client
    from worker import build_activities, build_workers

    # Task queues of its own: no worker of the session polls them.
    settings = make_settings(database_url, llm_server, tmp_path)
    async with AsyncExitStack() as stack:
        api = await open_api_client(stack, settings, temporal_env)
        response = await api.http.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"] == {
            "database": "ok",
            "temporal": "ok",
            "workers": "error: no worker polls the interactive, background, cpu queues",
        }
        activities = build_activities(settings, session_factory, temporal_env.client)
        for worker in build_workers(temporal_env.client, settings, activities):
            await stack.enter_async_context(worker)
        for _ in range(int(WORKERS_CACHE_SECONDS * 4) + 10):
            response = await api.http.get("/readyz")
            if response.status_code == 200:
                break
            await asyncio.sleep(0.5)
        assert response.status_code == 200, response.json()
        assert response.json()["checks"]["workers"] == "ok"


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
