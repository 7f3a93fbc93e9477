"""Hostile input never reaches a 500: control characters, oversized and malformed bodies get a
422/413 naming the problem; every response carries the security headers; CORS only for the
configured origins."""

from __future__ import annotations

import time
import uuid
from contextlib import AsyncExitStack

import pytest

from api.openapi_document import openapi_document
from tests.support.app import make_settings, open_api_client


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"topic": "abc\u0000def"}, "topic"),
        ({"topic": "bell \u0007 rings"}, "topic"),
        ({"topic": "Rust", "preferences": {"goals": "pass\u0000 the exam"}}, "preferences.goals"),
        ({"topic": "Rust", "preferences": {"language": "e\u001bn"}}, "preferences.language"),
    ],
)
async def test_control_characters_in_text_are_refused_naming_the_field(api, user_a, body, field):
    response = await api.http.post("/v1/courses", json=body, headers=api.auth(user_a))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert [f["field"] for f in error["fields"]] == [field]
    assert "control character U+00" in error["message"]


async def test_control_characters_are_refused_in_every_kind_of_body(api, user_a):
    conversation = (await api.http.post("/v1/conversations", json={}, headers=api.auth(user_a))).json()
    cases = [
        (f"/v1/conversations/{conversation['id']}/messages", {"question": "why\u0000?"}, "question"),
        ("/v1/conversations", {"title": "t\u0000"}, "title"),
        ("/v1/sources", {"url": "https://example.com/\u0000"}, "url"),
    ]
    for url, body, field in cases:
        response = await api.http.post(url, json=body, headers=api.auth(user_a))
        assert response.status_code == 422, (url, response.text)
        assert field in [f["field"] for f in response.json()["error"]["fields"]], (url, response.json())
    # Tabs and line breaks are ordinary text.
    ok = await api.http.post("/v1/courses", json={"topic": "Line one\n\tand two"}, headers=api.auth(user_a))
    assert ok.status_code == 202


async def test_an_oversized_body_is_refused_while_it_is_read(api, user_a):
    limit = api.settings.max_request_bytes

    async def fifty_megabytes():
        yield b'{"topic": "'
        for _ in range(50):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    started = time.perf_counter()
    response = await api.http.post(
        "/v1/courses", content=fifty_megabytes(), headers={**api.auth(user_a), "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["message"] == f"the request body is larger than the {limit:,}-byte limit"
    assert time.perf_counter() - started < 5


async def test_malformed_json_says_where_and_what_was_expected(api, user_a):
    response = await api.http.post(
        "/v1/courses",
        content=b'{"topic": "Rust" "difficulty": 1}',
        headers={**api.auth(user_a), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    [field] = response.json()["error"]["fields"]
    assert field == {"field": "body", "message": "malformed JSON at character 17: Expecting ',' delimiter"}


async def test_every_response_carries_the_security_headers_and_private_reads_are_not_cached(api, user_a):
    public = await api.http.get("/healthz")
    private = await api.http.get("/v1/courses", headers=api.auth(user_a))
    missing = await api.http.get("/v1/courses/00000000-0000-0000-0000-000000000000", headers=api.auth(user_a))
    for response in (public, private, missing):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert private.headers["Cache-Control"] == "no-store" and missing.headers["Cache-Control"] == "no-store"
    assert "no-store" not in public.headers.get("Cache-Control", "")


async def test_cors_answers_only_configured_origins(database_url, llm_server, tmp_path, temporal_env):
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    async with AsyncExitStack() as stack:
        closed = await open_api_client(stack, make_settings(database_url, llm_server, tmp_path / "a"), temporal_env)
        response = await closed.http.options("/v1/courses", headers={"Origin": "https://app.example.com", **preflight})
        assert "access-control-allow-origin" not in response.headers

        settings = make_settings(
            database_url, llm_server, tmp_path / "b", cors_allowed_origins=["https://app.example.com"]
        )
        opened = await open_api_client(stack, settings, temporal_env)
        allowed = await opened.http.options("/v1/courses", headers={"Origin": "https://app.example.com", **preflight})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "access-control-allow-credentials" not in allowed.headers
        other = await opened.http.options("/v1/courses", headers={"Origin": "https://evil.example.net", **preflight})
        assert "access-control-allow-origin" not in other.headers


async def test_an_offset_past_any_real_page_is_a_422_not_a_database_error(api, user_a):
    # Found by the fuzzer: PostgreSQL's OFFSET is a bigint, so a larger number was a 500.
    for url in ("/v1/courses", "/v1/notifications"):
        response = await api.http.get(url, params={"offset": 10**30}, headers=api.auth(user_a))
        assert response.status_code == 422, (url, response.text)
        assert response.json()["error"]["fields"][0]["field"] == "query.offset"


async def test_a_wrong_method_lists_every_method_the_path_supports(api, user_a):
    # Found by the fuzzer: GET and POST on one path are separate handlers, and Starlette named one.
    response = await api.http.request("PUT", "/v1/courses", headers=api.auth(user_a))
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    item = await api.http.request("PATCH", f"/v1/sources/{uuid.uuid4()}", headers=api.auth(user_a))
    assert item.headers["Allow"] == "DELETE, GET"


async def test_a_body_that_is_not_utf8_json_says_so(api, user_a):
    response = await api.http.post(
        "/v1/conversations", content=b"\xff\xfe{", headers={**api.auth(user_a), "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "the body could not be parsed as its Content-Type says (JSON must be UTF-8 text)"
    )


def test_the_openapi_document_states_the_error_shape_and_the_rules_it_enforces():
    document = openapi_document()
    course = document["paths"]["/v1/courses/{course_id}"]["get"]
    # 304: a conditional GET (ETag); 403: a tutor or admin who knows of the course but may not read it.
    assert set(course["responses"]) == {"200", "304", "401", "403", "404", "422"}
    assert course["security"] == [{"HTTPBearer": []}]
    for status in ("401", "404", "422"):
        assert course["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"
        }
    create = document["components"]["schemas"]["CourseCreate"]
    assert create["properties"]["topic"]["anyOf"][0]["pattern"].startswith("^")
    assert {"required": ["topic"], "properties": {"topic": {"type": "string"}}} in create["anyOf"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
