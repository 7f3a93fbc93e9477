"""What the web app needs from the API: public config, the dev sign-in, the app itself at `/`,
the course's study content, and the Anki export."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from contextlib import AsyncExitStack

import pytest

from tests.support.app import make_settings, open_api_client
from tests.support.courses import unique_topic
from tests.support.scripted_openai import Reply
from tests.support.study import fillers, ready_course_on, request_content, wait_content


async def _api(stack, database_url, llm_server, tmp_path, temporal_env, **overrides):
    settings = make_settings(database_url, llm_server, tmp_path / "data", **overrides)
    return await open_api_client(stack, settings, temporal_env)


async def test_embedded_auth_on_loopback_offers_a_dev_sign_in_whose_token_the_api_accepts(
    database_url, llm_server, tmp_path, temporal_env
):
    async with AsyncExitStack() as stack:
        api = await _api(stack, database_url, llm_server, tmp_path, temporal_env, api_host="127.0.0.1")
        config = (await api.http.get("/v1/config")).json()
        assert config == {
            "auth_mode": "embedded",
            "clerk_publishable_key": None,
            "dev_sign_in": True,
            "bundled_model": False,
            "content_engine": "auto",
            "billing": False,
            "human_tutors": False,
        }

        issued = await api.http.post("/v1/auth/dev-token", json={"user": "web-alice"})
        assert issued.status_code == 200, issued.text
        me = await api.http.get("/v1/me", headers={"Authorization": f"Bearer {issued.json()['token']}"})
        assert me.status_code == 200 and me.json()["id"] == "web-alice"

        # Any name a person types; the id keeps its letters and digits (the header shows the name as text).
        markup = await api.http.post("/v1/auth/dev-token", json={"user": "<script>"})
        assert markup.status_code == 200 and markup.json()["user"] == "script"
        bad = await api.http.post("/v1/auth/dev-token", json={"user": "!!!"})
        assert bad.status_code == 422
        assert bad.json()["error"]["fields"][0]["field"] == "user"


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"api_host": "0.0.0.0"}, id="reachable-from-other-machines"),
        pytest.param({"api_host": "127.0.0.1", "clerk_jwt_key": "-----BEGIN PUBLIC KEY-----"}, id="clerk-configured"),
    ],
)
async def test_the_dev_sign_in_does_not_exist_off_loopback_or_with_clerk(
    database_url, llm_server, tmp_path, temporal_env, overrides
):
    async with AsyncExitStack() as stack:
        api = await _api(stack, database_url, llm_server, tmp_path, temporal_env, **overrides)
        assert (await api.http.get("/v1/config")).json()["dev_sign_in"] is False
        response = await api.http.post("/v1/auth/dev-token", json={"user": "mallory"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        schema = (await api.http.get("/openapi.json")).json()
        assert "/v1/auth/dev-token" not in schema["paths"]


async def test_clerk_mode_tells_the_app_its_publishable_key(database_url, llm_server, tmp_path, temporal_env):
    async with AsyncExitStack() as stack:
        api = await _api(
            stack,
            database_url,
            llm_server,
            tmp_path,
            temporal_env,
            clerk_jwt_key="-----BEGIN PUBLIC KEY-----",
            clerk_publishable_key="pk_test_Y2xlcmsuZXhhbXBsZS5jb20k",
        )
        config = (await api.http.get("/v1/config")).json()
        assert config == {
            "auth_mode": "clerk",
            "clerk_publishable_key": "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k",
            "dev_sign_in": False,
            "bundled_model": False,
            "content_engine": "auto",
            "billing": False,
            "human_tutors": False,
        }


def _fake_build(root):
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text('<!doctype html><div id="root"></div><script src="/assets/app-1a2b.js"></script>')
    (root / "assets" / "app-1a2b.js").write_text("console.log('app')")
    (root / "favicon.svg").write_text("<svg/>")
    return root


async def test_the_api_serves_the_built_app_with_client_routes_and_cache_headers(
    database_url, llm_server, tmp_path, temporal_env
):
    dist = _fake_build(tmp_path / "dist")
    async with AsyncExitStack() as stack:
        api = await _api(stack, database_url, llm_server, tmp_path, temporal_env, web_dist_dir=dist)
        for path in ("/", "/courses/3f1c", "/review"):
            page = await api.http.get(path)
            assert page.status_code == 200 and 'id="root"' in page.text, path
            assert page.headers["cache-control"] == "no-cache"
            assert "script-src 'self'" in page.headers["content-security-policy"]
        asset = await api.http.get("/assets/app-1a2b.js")
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
        assert (await api.http.get("/assets/missing-99.js")).status_code == 404
        assert (await api.http.get("/favicon.svg")).text == "<svg/>"
        # Encoded dot segments must not climb out of the build directory.
        assert "[project]" not in (await api.http.get("/%2e%2e/%2e%2e/pyproject.toml")).text

        # The API's own paths are untouched by the app's catch-all.
        unknown = await api.http.get("/v1/no-such-thing")
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
        assert (await api.http.put("/v1/courses")).status_code == 405
        assert (await api.http.get("/healthz")).json()["status"] == "ok"
        assert "swagger" in (await api.http.get("/docs")).text.lower()


async def test_an_unbuilt_app_says_how_to_build_it(database_url, llm_server, tmp_path, temporal_env):
    async with AsyncExitStack() as stack:
        api = await _api(stack, database_url, llm_server, tmp_path, temporal_env, web_dist_dir=tmp_path / "nothing")
        page = await api.http.get("/courses/1")
        assert page.status_code == 503 and "make web" in page.text


async def test_a_course_lists_its_study_content_and_flashcards_export_to_anki_escaped(api, llm_server, user_a):
    course = await ready_course_on(api, user_a, unique_topic("anki"))
    assert course["study_content"] == []
    hostile = {
        "cards": [
            {
                "front": "<script>alert(1)</script> What is a closure?",
                "back": "A function & its scope",
                "topic_ref": "T1",
            },
            {"front": "Second card?", "back": "<img src=x onerror=alert(2)>", "topic_ref": "T1"},
            *fillers("flashcards", 4),
        ]
    }
    llm_server.on(f"course on {course['topic']}", [Reply.json(hostile)])
    accepted = (await request_content(api, user_a, course["id"], "flashcards")).json()
    cards = await wait_content(api, user_a, accepted["id"])

    detail = (await api.http.get(f"/v1/courses/{course['id']}", headers=api.auth(user_a))).json()
    # updated_at: when its status last changed (checked to be there, its value is the clock's).
    assert [{k: v for k, v in c.items() if k != "updated_at"} for c in detail["study_content"]] == [
        {"id": cards["id"], "type": "flashcards", "status": "completed"}
    ]
    assert detail["study_content"][0]["updated_at"] is not None

    export = await api.http.get(f"/v1/study-content/{cards['id']}/anki", headers=api.auth(user_a))
    assert export.status_code == 200, export.text
    assert export.headers["content-type"] == "application/apkg"
    assert f"studyflow-{cards['id']}.apkg" in export.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(export.content)) as package:
        collection = package.read("collection.anki2")
    db_path = api.settings.data_dir / "exported.anki2"
    db_path.write_bytes(collection)
    with sqlite3.connect(db_path) as db:
        notes = [row[0].split("\x1f") for row in db.execute("SELECT flds FROM notes ORDER BY sfld")]
    assert len(notes) == len(cards["cards"]) == 6
    fields = " ".join(" ".join(n) for n in notes)
    assert "<script>" not in fields and "<img" not in fields
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fields and "&amp; its scope" in fields

    again = await api.http.get(f"/v1/study-content/{cards['id']}/anki", headers=api.auth(user_a))
    with zipfile.ZipFile(io.BytesIO(again.content)) as package:
        (db_path.parent / "again.anki2").write_bytes(package.read("collection.anki2"))
    with sqlite3.connect(db_path.parent / "again.anki2") as db, sqlite3.connect(db_path) as first:
        guids = lambda conn: sorted(r[0] for r in conn.execute("SELECT guid FROM notes"))  # noqa: E731
        assert guids(db) == guids(first), "re-exports must update the same notes in Anki, not add copies"


async def test_only_completed_flashcards_export(api, user_a):
    course = await ready_course_on(api, user_a, unique_topic("anki-quiz"))
    quiz = (await request_content(api, user_a, course["id"], "quiz")).json()
    await wait_content(api, user_a, quiz["id"])
    response = await api.http.get(f"/v1/study-content/{quiz['id']}/anki", headers=api.auth(user_a))
    assert response.status_code == 409 and "only flashcards" in response.json()["error"]["message"]


async def test_the_dev_sign_in_refuses_requests_not_to_and_from_this_machine(api):
    """DNS rebinding: a page on another site pointing a name of its own at 127.0.0.1."""
    rebound = await api.http.post("/v1/auth/dev-token", json={"user": "mallory"}, headers={"Host": "evil.example:8000"})
    assert rebound.status_code == 403
    cross = await api.http.post(
        "/v1/auth/dev-token", json={"user": "mallory"}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    local = await api.http.post(
        "/v1/auth/dev-token", json={"user": "alice"}, headers={"Origin": "http://127.0.0.1:8000"}
    )
    assert local.status_code == 200
