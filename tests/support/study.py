from __future__ import annotations

from tests.support.courses import create_course, wait_for_course
from tests.support.polling import poll_until
from tests.support.scripted_openai import auto_option


async def ready_course_on(api, user: str, topic: str, **extra) -> dict:
    accepted = await create_course(api, user, topic, **extra)
    return await wait_for_course(api, user, accepted["course_id"])


async def request_content(api, user: str, course_id: str, kind: str):
    return await api.http.post(f"/v1/courses/{course_id}/study-content", json={"type": kind}, headers=api.auth(user))


async def wait_content(api, user: str, content_id: str, status: str = "completed", timeout: float = 60) -> dict:
    async def fetch():
        response = await api.http.get(f"/v1/study-content/{content_id}", headers=api.auth(user))
        assert response.status_code == 200, response.text
        return response.json()

    return await poll_until(fetch, lambda c: c["status"] == status, timeout=timeout)


async def generated(api, user: str, topic: str, kind: str = "quiz", **extra) -> dict:
    course = await ready_course_on(api, user, topic, **extra)
    response = await request_content(api, user, course["id"], kind)
    assert response.status_code == 202, response.text
    return await wait_content(api, user, response.json()["id"])


def valid_question(n: int, **overrides) -> dict:
    """A scripted question that passes validation and the quality gate (the automatic reply's options)."""
    return {
        "question": f"Valid question {n}?",
        "options": [auto_option(n, c) for c in "ABCD"],
        "answer": auto_option(n, "B"),
        "explanation": "B is right",
        "key_points": ["B"],
        "topic_ref": "T1",
        **overrides,
    }


def valid_card(n: int) -> dict:
    """A scripted card that passes validation and the quality gate."""
    return {"front": f"Filler card {n}?", "back": f"Filler answer {n}.", "topic_ref": "T1"}


def fillers(kind: str, count: int, start: int = 10) -> list[dict]:
    """Sound records to add to a scripted set: the quality gate serves a set only when at least
    half of the records asked for survive, and a test scripting two cards wants them served."""
    make = valid_question if kind == "quiz" else valid_card
    return [make(n) for n in range(start, start + count)]
