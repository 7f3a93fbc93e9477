"""A source deleted while courses are being built from it (issue 29, finding 7): once a foreign-key
500 about one time in eight. Now the course either commits first (and the delete follows it) or
finds the source gone (404 naming it); never a 500, nothing half-written."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from db.models import Course, CourseSource, User
from tests.support.sources import settled, upload

ROUNDS = 8
CREATES_PER_ROUND = 3


async def test_concurrent_deletes_and_course_creations_never_500_nor_half_write(api, user_a, session_factory):
    uploads = await asyncio.gather(
        *[
            upload(api, user_a, f"race-{n}.md", f"# Race {n}\n\nNotes on topic number {n} and its details.\n".encode())
            for n in range(ROUNDS)
        ]
    )
    sources = [await settled(api, user_a, u.json()["id"]) for u in uploads]
    assert all(s["status"] == "ready" for s in sources), sources

    creates: Counter[int] = Counter()
    deletes: Counter[int] = Counter()
    accepted: dict[str, str] = {}  # course id → the source it was built from
    for n, source in enumerate(sources):
        create = [
            api.http.post("/v1/courses", json={"source_ids": [source["id"]]}, headers=api.auth(user_a))
            for _ in range(CREATES_PER_ROUND)
        ]
        remove = api.http.delete(f"/v1/sources/{source['id']}", headers=api.auth(user_a))
        # The delete is sent first, between, or last, so every interleaving gets its turn.
        position = n % (CREATES_PER_ROUND + 1)
        answers = await asyncio.gather(*create[:position], remove, *create[position:])
        deleted, made = answers[position], answers[:position] + answers[position + 1 :]
        deletes[deleted.status_code] += 1
        for response in made:
            creates[response.status_code] += 1
            if response.status_code == 202:
                accepted[response.json()["course_id"]] = source["id"]
            else:
                assert response.status_code == 404 and source["id"] in response.json()["error"]["message"]
    print(f"course creations: {dict(creates)}; deletes: {dict(deletes)}")
    assert set(creates) <= {202, 404} and set(deletes) == {204}

    async with session_factory() as session:
        owner = await session.scalar(select(User).where(User.clerk_id == user_a))
        courses = (await session.scalars(select(Course).where(Course.owner_id == owner.id))).all()
        dangling = await session.scalar(
            select(func.count()).select_from(CourseSource).where(CourseSource.course_id.in_([c.id for c in courses]))
        )
    # Nothing half-written: a course exists exactly for each 202, and the day's quota says so.
    assert {str(c.id) for c in courses} == set(accepted)
    assert owner.courses_created_today == len(accepted)
    # Each was built from its source (it is named after it); the source's deletion, which came
    # after, took the links with it, so none is left pointing at a deleted source.
    names = {s["id"]: s["name"] for s in sources}
    for course in courses:
        assert course.topic == names[accepted[str(course.id)]].removesuffix(".md").replace("-", " ")
    assert dangling == 0
