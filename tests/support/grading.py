"""Fixtures for the free-text grading tests: a quiz holding a short-answer item (inserted as a
generated quiz would store it), a learner linked to a tutor (an organisation made in the database with both in it), and
reads of the attempt and the queue."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from db.models import Membership, Organization, StudyContent, TutorLink, User
from tests.support.courses import ready_course
from tests.support.polling import poll_until

PHOTOSYNTHESIS = {
    "id": "s1",
    "kind": "short_answer",
    "question": "Explain what happens in the light-dependent reactions of photosynthesis.",
    "model_answer": "In the thylakoid membranes chlorophyll absorbs light energy, which is used to split water "
    "(photolysis), releasing oxygen; energy from the electrons is used to make ATP and NADPH.",
    "rubric": [
        {"id": "p1", "text": "Chlorophyll absorbs light energy", "weight": 1, "excerpt_quote": "chlorophyll absorbs"},
        {"id": "p2", "text": "Water is split (photolysis), releasing oxygen", "weight": 1, "excerpt_quote": "split"},
        {"id": "p3", "text": "ATP and NADPH are produced", "weight": 2, "excerpt_quote": "ATP"},
    ],
}
ANSWER = "The light gets taken in by the leaf and water is broken up so oxygen comes out, and some energy is stored."


async def user_id(session_factory, clerk_id: str) -> uuid.UUID:
    async with session_factory() as session:
        return await session.scalar(select(User.id).where(User.clerk_id == clerk_id))


async def provisioned(api, user: str) -> None:
    response = await api.http.get("/v1/me", headers=api.auth(user))
    assert response.status_code == 200, response.text


async def link_reviewer(api, session_factory, learner: str, reviewer: str) -> None:
    await provisioned(api, learner)
    await provisioned(api, reviewer)
    await link_tutor(session_factory, await user_id(session_factory, learner), await user_id(session_factory, reviewer))


async def link_tutor(session_factory, learner_id: uuid.UUID, tutor_id: uuid.UUID) -> None:
    """The reviewer is the learner's tutor: both members of a fresh organisation, linked."""
    async with session_factory.begin() as session:
        organization = Organization(name=f"Grading {uuid.uuid4().hex[:8]}", clerk_org_id=f"org_{uuid.uuid4().hex[:12]}")
        session.add(organization)
        await session.flush()
        session.add_all(
            [
                Membership(organization_id=organization.id, user_id=tutor_id, role="tutor"),
                Membership(organization_id=organization.id, user_id=learner_id, role="learner"),
                TutorLink(organization_id=organization.id, tutor_id=tutor_id, learner_id=learner_id),
            ]
        )


async def short_answer_quiz(api, session_factory, learner: str, label: str = "grading") -> tuple[str, str]:
    """(quiz id, topic id): a ready course with a completed quiz of one question and one short-answer item."""
    course = await ready_course(api, learner, label)
    topic = course["chapters"][0]["topics"][0]
    item = {**PHOTOSYNTHESIS, "topic_id": topic["id"], "topic_title": topic["title"]}
    question = {
        "id": "q1",
        "question": "Where do the light-dependent reactions take place?",
        "options": ["Thylakoid membranes", "Stroma", "Mitochondria", "Nucleus"],
        "answer_index": 0,
        "explanation": "In the thylakoid membranes.",
        "key_points": [],
        "topic_id": topic["id"],
        "topic_title": topic["title"],
    }
    async with session_factory.begin() as session:
        quiz = StudyContent(
            course_id=uuid.UUID(course["id"]),
            type="quiz",
            status="completed",
            payload={"questions": [question, item], "dropped": []},
            model="scripted",
            served_from="llm",
        )
        session.add(quiz)
        await session.flush()
        quiz_id = str(quiz.id)
    return quiz_id, topic["id"]


async def attempt(api, learner: str, attempt_id: str) -> dict:
    response = await api.http.get(f"/v1/attempts/{attempt_id}", headers=api.auth(learner))
    assert response.status_code == 200, response.text
    return response.json()


async def wait_attempt(api, learner: str, attempt_id: str, done, timeout: float = 60) -> dict:
    return await poll_until(lambda: attempt(api, learner, attempt_id), done, timeout=timeout, every=0.2)


async def queue(api, reviewer: str) -> list[dict]:
    response = await api.http.get("/v1/grading-reviews", headers=api.auth(reviewer))
    assert response.status_code == 200, response.text
    return response.json()["tasks"]
