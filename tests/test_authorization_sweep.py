"""Every private route in the OpenAPI schema: no token → 401; another learner → 404 (routes with
a resource id) or a response that shows none of the owner's data (collection routes).

A new route fails this test until the maps below say how to call it.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select

from db.models import Conversation, GradingReview, Notification, TutorHandoff, User
from tests.support.courses import unique_topic
from tests.support.polling import poll_until
from tests.support.sources import ingested
from tests.support.study import generated, ready_course_on, request_content, wait_content

# /v1/auth/dev-token exists only with embedded auth on loopback (test_web_app proves it).
PUBLIC = {"/healthz", "/readyz", "/v1/webhooks/clerk", "/v1/webhooks/stripe", "/v1/config", "/v1/auth/dev-token"}
# Endless streams: only the anonymous check fits here; test_events proves each learner sees only theirs.
STREAMS = {"/v1/events"}
# Organisation routes: strangers (no organisation, another one) are part of test_permission_matrix,
# which builds the organisation these need; only the anonymous check runs here.
ORGANISATION_PARAMS = {"organization_id", "user_id", "link_id", "group_id", "learner_id", "assignment_id", "token"}
BODIES = {
    ("POST", "/v1/courses"): {"topic": "Sweep topic"},
    ("POST", "/v1/courses/{course_id}/study-content"): {"type": "quiz"},
    ("POST", "/v1/quizzes/{quiz_id}/attempts"): {"answers": {}},
    ("POST", "/v1/quizzes/{quiz_id}/check"): {"question_id": "q1", "selected_index": 0},
    ("POST", "/v1/study-time"): {"seconds": 5, "activity": "review"},
    ("POST", "/v1/flashcards/{card_id}/reviews"): {"rating": "good"},
    ("POST", "/v1/conversations/{conversation_id}/messages"): {"question": "What is in my notes?"},
    ("POST", "/v1/goals"): {"kind": "daily_minutes", "target": 10},
    ("PATCH", "/v1/goals/{goal_id}"): {"status": "abandoned"},
    ("POST", "/v1/tutor-handoffs/{handoff_id}/decision"): {"decision": "accept"},
    ("POST", "/v1/organizations"): {"name": "Sweep centre"},
    ("POST", "/v1/assignments"): {
        "kind": "course",
        "course_id": "00000000-0000-0000-0000-000000000000",
        "learner_id": "00000000-0000-0000-0000-000000000000",
    },
    ("POST", "/v1/grading-reviews/{review_id}/grade"): {"scores": {"p1": 1}},
    ("PATCH", "/v1/sessions/{session_id}"): {"speaker_mapping": {"Ms Patel": "tutor", "Jordan": "learner"}},
}
SESSION = Path(__file__).parent / "data" / "sessions" / "algebra_quadratics_01.vtt"


async def _notification(session_factory, owner: str) -> str:
    async with session_factory.begin() as session:
        user_id = await session.scalar(select(User.id).where(User.clerk_id == owner))
        return str(
            await session.scalar(
                insert(Notification)
                .values(user_id=user_id, kind="engagement", message="hi", day=date(2026, 1, 1))
                .returning(Notification.id)
            )
        )


async def _handoff(session_factory, conversation_id: str) -> str:
    async with session_factory.begin() as session:
        owner_id = await session.scalar(
            select(Conversation.owner_id).where(Conversation.id == uuid.UUID(conversation_id))
        )
        return str(
            await session.scalar(
                insert(TutorHandoff)
                .values(conversation_id=uuid.UUID(conversation_id), owner_id=owner_id, reason="sweep", summary={})
                .returning(TutorHandoff.id)
            )
        )


async def _review(session_factory, owner: str, attempt_id: str) -> str:
    """A free-text grade waiting for its reviewer, the owner (their own, as a tutor's would be)."""
    async with session_factory.begin() as session:
        user_id = await session.scalar(select(User.id).where(User.clerk_id == owner))
        return str(
            await session.scalar(
                insert(GradingReview)
                .values(
                    attempt_id=uuid.UUID(attempt_id),
                    item_id="s1",
                    learner_id=user_id,
                    reviewer_id=user_id,
                    status="pending_review",
                    item={"question": "Why?", "model_answer": "Because.", "rubric": [{"id": "p1", "text": "Because"}]},
                    answer="Because.",
                    proposal={"grader": "embedded", "total": 1, "confidence": 0.2, "points": []},
                )
                .returning(GradingReview.id)
            )
        )


async def _owner_resources(api, owner: str, session_factory) -> dict[str, str]:
    course = await ready_course_on(api, owner, unique_topic("sweep"))
    topic_id = course["chapters"][0]["topics"][0]["id"]
    quiz = (await request_content(api, owner, course["id"], "quiz")).json()
    await wait_content(api, owner, quiz["id"])
    cards = await generated(api, owner, unique_topic("sweep-cards"), "flashcards")
    attempt = (
        await api.http.post(f"/v1/quizzes/{quiz['id']}/attempts", json={"answers": {}}, headers=api.auth(owner))
    ).json()
    plan_id = attempt["remediation_plan_id"]
    source = await ingested(api, owner, "sweep-notes.md", b"# Sweep\n\nThe owner's own notes on sorting.\n")
    conversation = (await api.http.post("/v1/conversations", json={}, headers=api.auth(owner))).json()
    handoff_id = await _handoff(session_factory, conversation["id"])

    async def plan():
        return (await api.http.get(f"/v1/remediation/{plan_id}", headers=api.auth(owner))).json()

    await poll_until(plan, lambda p: p["status"] == "completed")
    goal = (
        await api.http.post(
            "/v1/goals", json={"kind": "mastery", "course_id": course["id"], "target": 0.9}, headers=api.auth(owner)
        )
    ).json()
    await api.http.post(f"/v1/goals/{goal['id']}/complete", headers=api.auth(owner))

    async def suggestions():
        return (await api.http.get("/v1/suggestions", headers=api.auth(owner))).json()["suggestions"]

    [suggestion, *_] = await poll_until(suggestions, lambda found: len(found) == 3)
    # A tutoring session the owner uploaded for themself.
    accepted = await api.http.post(
        "/v1/sessions",
        files={"file": (SESSION.name, SESSION.read_bytes(), "application/octet-stream")},
        data={"subject": "Algebra"},
        headers=api.auth(owner),
    )
    assert accepted.status_code == 202, accepted.text
    return {
        "course_id": course["id"],
        "topic_id": topic_id,
        "content_id": quiz["id"],
        "quiz_id": quiz["id"],
        "plan_id": plan_id,
        "card_id": f"{cards['id']}.{cards['cards'][0]['id']}",
        "notification_id": await _notification(session_factory, owner),
        "source_id": source["id"],
        "conversation_id": conversation["id"],
        "handoff_id": handoff_id,
        "goal_id": goal["id"],
        "suggestion_id": suggestion["id"],
        "attempt_id": attempt["attempt_id"],
        "review_id": await _review(session_factory, owner, attempt["attempt_id"]),
        "session_id": accepted.json()["id"],
    }


async def test_every_private_route_is_closed_to_strangers_and_the_unauthenticated(api, session_factory, user_a, user_b):
    ids = await _owner_resources(api, user_a, session_factory)
    schema = (await api.http.get("/openapi.json")).json()
    checked = 0
    for path, operations in schema["paths"].items():
        if path in PUBLIC:
            continue
        for method in operations:
            method = method.upper()
            params = re.findall(r"{(\w+)}", path)
            if set(params) & ORGANISATION_PARAMS:
                unknown = path.format(**{p: (str(uuid.uuid4()) if p != "token" else "some-token") for p in params})
                anonymous = await api.http.request(method, unknown, json=BODIES.get((method, path), {}))
                assert anonymous.status_code == 401, f"{method} {path} without a token: {anonymous.status_code}"
                checked += 1
                continue
            missing = [p for p in params if p not in ids]
            assert not missing, f"{method} {path}: the sweep does not know how to fill {missing}"
            url = path.format(**{p: ids[p] for p in params})
            body = BODIES.get((method, path))
            if method in ("POST", "PUT", "PATCH") and body is None:
                body = {}

            anonymous = await api.http.request(method, url, json=body)
            assert anonymous.status_code == 401, f"{method} {path} without a token: {anonymous.status_code}"
            if path in STREAMS:
                checked += 1
                continue

            stranger = await api.http.request(method, url, json=body, headers=api.auth(user_b))
            if params:
                assert stranger.status_code == 404, f"{method} {path} as another user: {stranger.status_code}"
            else:
                not_configured = stranger.status_code == 503 and "not configured" in stranger.text
                assert stranger.status_code < 500 or not_configured, f"{method} {path}: {stranger.text}"
                leaked = [name for name, value in ids.items() if value.split(".")[0] in stranger.text]
                assert not leaked, f"{method} {path} shows another learner's {leaked}"
            checked += 1
    assert checked >= 43  # the private operations that exist today; the sweep must not silently shrink

    # Analytics of a learner in no organisation are theirs alone (organisations: the matrix).
    async with session_factory() as session:
        owner_id = await session.scalar(select(User.id).where(User.clerk_id == user_a))
    improvement = f"/v1/analytics/learners/{owner_id}/improvement"
    assert (await api.http.get(improvement, headers=api.auth(user_a))).status_code == 200
    assert (await api.http.get(improvement, headers=api.auth(user_b))).status_code == 404
    overview = f"/v1/analytics/organizations/{uuid.uuid4()}/overview"
    assert (await api.http.get(overview, headers=api.auth(user_b))).status_code == 404
