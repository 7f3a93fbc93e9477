"""What a learner reads when a request is refused (issue 36): a sentence per field, next to the
field, never a regular expression or a parser's wording; a malformed link is "not found"; nothing
offered that is not configured."""

from __future__ import annotations

import re

RAW = re.compile(r"Input should|String should|\^\[|\$|valid UUID|input is too short|pattern")


def _readable(error: dict) -> None:
    for text in [error["message"], *(f["message"] for f in error.get("fields", []))]:
        assert not RAW.search(text), text


async def test_a_name_with_spaces_signs_in_with_a_display_name(api):
    response = await api.http.post("/v1/auth/dev-token", json={"user": "  Maria   Lopez "})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"] == "Maria-Lopez" and body["display_name"] == "Maria Lopez"
    me = await api.http.get("/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["id"] == "Maria-Lopez"
    # Old ids are the learners they were.
    assert (await api.http.post("/v1/auth/dev-token", json={"user": "alice"})).json()["user"] == "alice"
    blank = await api.http.post("/v1/auth/dev-token", json={"user": "  -- "})
    assert blank.status_code == 422
    _readable(blank.json()["error"])
    assert blank.json()["error"]["fields"] == [{"field": "user", "message": "Use letters or digits in your name."}]


async def test_validation_errors_are_sentences_next_to_their_field(api, user_a):
    goal = await api.http.post(
        "/v1/goals", json={"kind": "course_by_date", "course_id": None, "due_date": ""}, headers=api.auth(user_a)
    )
    assert goal.status_code == 422
    error = goal.json()["error"]
    _readable(error)
    assert {"field": "due_date", "message": "Choose a date."} in error["fields"]
    assert "Date: Choose a date." in error["message"]

    topic = await api.http.post("/v1/courses", json={"topic": ""}, headers=api.auth(user_a))
    assert topic.status_code == 422
    _readable(topic.json()["error"])
    assert topic.json()["error"]["fields"][0]["field"] == "topic"
    assert "at least three letters" in topic.json()["error"]["fields"][0]["message"]

    kind = await api.http.post(
        f"/v1/courses/{'0' * 8}-0000-0000-0000-{'0' * 12}/study-content", json={"type": 3}, headers=api.auth(user_a)
    )
    assert kind.status_code in (404, 422)
    _readable(kind.json()["error"])


async def test_a_malformed_link_is_not_found(api, user_a):
    for path in ("/v1/courses/not-a-course", "/v1/topics/123", "/v1/study-content/x", "/v1/flashcards/zz"):
        response = await api.http.get(path, headers=api.auth(user_a))
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"]["code"] == "not_found"
        assert response.json()["error"]["message"].endswith("not found")


async def test_config_says_what_is_offered(api):
    config = (await api.http.get("/v1/config")).json()
    assert config["billing"] is False, "billing is not configured in tests: no upgrade button"
    assert config["human_tutors"] is False
