from __future__ import annotations

import uuid

from tests.support.polling import poll_until


def unique_topic(label: str = "course") -> str:
    return f"{label} {uuid.uuid4().hex[:10]}"


async def create_course(api, user: str, topic: str, **extra) -> dict:
    response = await api.http.post("/v1/courses", json={"topic": topic, **extra}, headers=api.auth(user))
    assert response.status_code == 202, response.text
    return response.json()


async def wait_for_course(api, user: str, course_id: str, status: str = "ready", timeout: float = 30) -> dict:
    async def fetch():
        response = await api.http.get(f"/v1/courses/{course_id}", headers=api.auth(user))
        assert response.status_code == 200, response.text
        return response.json()

    return await poll_until(fetch, lambda c: c["status"] == status, timeout=timeout)


async def ready_course(api, user: str, label: str = "course") -> dict:
    accepted = await create_course(api, user, unique_topic(label))
    return await wait_for_course(api, user, accepted["course_id"])
