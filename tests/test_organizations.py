"""Organisations through the API: invitations that link a tutor and a learner with the learner's
consent, assignments to a group fanned out and opened once, hand-offs from the chat to the
tutor's inbox, the context a tutor reads, and revocation taking effect at once."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from datetime import date, timedelta

from sqlalchemy import func, insert, select, update

from db.models import Conversation, Invitation, LlmCall, TutorHandoff
from tests.support.courses import unique_topic
from tests.support.organization_world import Person, organization
from tests.support.polling import poll_until
from tests.support.replay import HISTORIES, RECORDING_LABEL, replayer


async def _course(api, person, label: str) -> dict:
    accepted = await api.http.post("/v1/courses", json={"topic": unique_topic(label)}, headers=person.headers(api))
    assert accepted.status_code == 202, accepted.text
    return await wait_for_course_as(api, person, accepted.json()["course_id"])


async def wait_for_course_as(api, person, course_id: str) -> dict:
    async def fetch():
        return (await api.http.get(f"/v1/courses/{course_id}", headers=person.headers(api))).json()

    return await poll_until(fetch, lambda c: c["status"] != "generating", timeout=60)


async def test_a_tutors_invitation_links_the_learner_who_accepts_and_shows_what_they_see(api):
    world = await organization(api)
    tutors = (await api.http.get("/v1/me/tutors", headers=world["learner"].headers(api))).json()["links"]
    assert [link["tutor_name"] for link in tutors] == [world["tutor"].clerk_id]
    assert "course" in tutors[0]["can_see"] and "conversation" not in tutors[0]["can_see"]
    learners = (await api.http.get("/v1/tutor/learners", headers=world["tutor"].headers(api))).json()["learners"]
    assert [row["id"] for row in learners] == [world["learner"].user_id]
    everyone = (await api.http.get("/v1/tutor/learners", headers=world["admin"].headers(api))).json()["learners"]
    assert {row["id"] for row in everyone} == {world["learner"].user_id, world["peer"].user_id}
    refused = await api.http.get("/v1/tutor/learners", headers=world["learner"].headers(api))
    assert refused.status_code == 403


async def test_an_invitation_is_used_once_however_many_race_and_expires(api, session_factory):
    """Single use under a race (one acceptance wins, the others hear 409 and join nothing), 410
    once expired, 404 for a token that was never issued — the paths the permission matrix skips."""
    world = await organization(api)
    admin = world["admin"]

    async def issue() -> str:
        issued = await api.http.post(
            f"/v1/organizations/{world.org_id}/invitations", json={"role": "learner"}, headers=admin.headers(api)
        )
        assert issued.status_code == 201, issued.text
        return issued.json()["token"]

    async def member_ids() -> set[str]:
        members = await api.http.get(f"/v1/organizations/{world.org_id}/members", headers=admin.headers(api))
        return {m["clerk_id"] for m in members.json()["members"]}

    before = await member_ids()
    token = await issue()
    racers = [Person(f"racer{n}_{uuid.uuid4().hex[:6]}") for n in range(4)]
    answers = await asyncio.gather(
        *(api.http.post(f"/v1/invitations/{token}/accept", headers=racer.headers(api)) for racer in racers)
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409], [a.text for a in answers]
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["error"]["message"] == "this invitation was already used"
    [winner] = [racer.clerk_id for racer, a in zip(racers, answers, strict=True) if a.status_code == 200]
    assert await member_ids() == before | {winner}
    used = await api.http.get(f"/v1/invitations/{token}", headers=racers[0].headers(api))
    assert used.status_code == 409, used.text

    expired = await issue()
    async with session_factory() as session:
        await session.execute(
            update(Invitation)
            .where(Invitation.token_hash == hashlib.sha256(expired.encode()).hexdigest())
            .values(expires_at=func.now() - timedelta(minutes=1))
        )
        await session.commit()
    late = Person(f"late_{uuid.uuid4().hex[:6]}")
    for answer in (
        await api.http.get(f"/v1/invitations/{expired}", headers=late.headers(api)),
        await api.http.post(f"/v1/invitations/{expired}/accept", headers=late.headers(api)),
    ):
        assert answer.status_code == 410, answer.text
        assert answer.json()["error"]["message"] == "this invitation has expired: ask for a new one"
    assert late.clerk_id not in await member_ids()

    never = await api.http.post(f"/v1/invitations/{uuid.uuid4().hex}/accept", headers=late.headers(api))
    assert never.status_code == 404 and "check the link" in never.json()["error"]["message"], never.text


async def test_a_learners_course_is_read_by_their_tutor_and_admin_and_hidden_from_everyone_else(api):
    world = await organization(api)
    course = await _course(api, world["learner"], "visible")
    expected = {
        "learner": 200,
        "tutor": 200,
        "admin": 200,
        "other_tutor": 403,
        "peer": 404,
        "other_admin": 404,
        "outsider": 404,
    }
    seen = {
        name: (await api.http.get(f"/v1/courses/{course['id']}", headers=world[name].headers(api))).status_code
        for name in expected
    }
    assert seen == expected
    deleting = await api.http.delete(f"/v1/courses/{course['id']}", headers=world["tutor"].headers(api))
    assert deleting.status_code == 403  # seeing is not changing


async def test_a_group_assignment_reaches_every_member_and_its_quiz_is_made_once(api, llm_server, session_factory):
    world = await organization(api)
    tutor, admin = world["tutor"], world["admin"]
    course = await _course(api, tutor, "assigned")
    group = await api.http.post(
        f"/v1/organizations/{world.org_id}/groups", json={"name": "Year 9"}, headers=tutor.headers(api)
    )
    assert group.status_code == 201, group.text
    added = await api.http.post(
        f"/v1/groups/{group.json()['id']}/members",
        json={"learner_id": world["learner"].user_id},
        headers=tutor.headers(api),
    )
    assert added.status_code == 204, added.text
    not_mine = await api.http.post(
        f"/v1/groups/{group.json()['id']}/members",
        json={"learner_id": world["peer"].user_id},
        headers=tutor.headers(api),
    )
    assert not_mine.status_code == 403  # the peer is not linked to this tutor
    assigned = await api.http.post(
        "/v1/assignments",
        json={"kind": "quiz", "course_id": course["id"], "group_id": group.json()["id"], "note": "Before Friday"},
        headers=tutor.headers(api),
    )
    assert assigned.status_code == 201, assigned.text
    assignment = assigned.json()

    learner = world["learner"]

    async def mine():
        return (await api.http.get("/v1/assignments", headers=learner.headers(api))).json()["assignments"]

    [given] = await poll_until(mine, lambda found: len(found) == 1, timeout=30)
    assert given["my_status"] == "open"
    inbox = (await api.http.get("/v1/notifications", headers=learner.headers(api))).json()
    assert any("New assignment" in n["message"] for n in inbox["items"])

    # The admin adds the peer afterwards: they get the open assignment too.
    joined = await api.http.post(
        f"/v1/groups/{group.json()['id']}/members",
        json={"learner_id": world["peer"].user_id},
        headers=admin.headers(api),
    )
    assert joined.status_code == 204
    opened = await asyncio.gather(
        *(
            api.http.post(f"/v1/assignments/{assignment['id']}/open", headers=person.headers(api))
            for person in (learner, world["peer"], learner, world["peer"])
        )
    )
    assert {o.status_code for o in opened} <= {200, 202}, [o.text for o in opened]
    assert len({o.json()["study_content_id"] for o in opened}) == 1
    quiz = await wait_content_as(api, learner, opened[0].json()["study_content_id"])
    async with session_factory() as session:
        quiz_calls = await session.scalar(
            select(func.count()).where(
                LlmCall.purpose == "quiz", LlmCall.subject_id == quiz["id"], LlmCall.outcome == "ok"
            )
        )
    assert quiz_calls == 1

    answers = {q["id"]: 1 for q in quiz["questions"]}
    taken = await api.http.post(
        f"/v1/quizzes/{quiz['id']}/attempts", json={"answers": answers}, headers=learner.headers(api)
    )
    assert taken.status_code == 201, taken.text
    detail = (await api.http.get(f"/v1/assignments/{assignment['id']}", headers=tutor.headers(api))).json()
    rows = {t["learner_id"]: t for t in detail["targets"]}
    assert rows[learner.user_id]["status"] == "completed" and rows[learner.user_id]["score_pct"] == 100.0
    assert rows[world["peer"].user_id]["status"] == "open"


async def wait_content_as(api, person, content_id: str) -> dict:
    async def fetch():
        return (await api.http.get(f"/v1/study-content/{content_id}", headers=person.headers(api))).json()

    return await poll_until(fetch, lambda c: c["status"] != "generating", timeout=60)


async def _draft_handoff(session_factory, api, person) -> tuple[str, str]:
    conversation = (await api.http.post("/v1/conversations", json={}, headers=person.headers(api))).json()
    async with session_factory.begin() as session:
        owner = await session.scalar(
            select(Conversation.owner_id).where(Conversation.id == uuid.UUID(conversation["id"]))
        )
        handoff_id = await session.scalar(
            insert(TutorHandoff)
            .values(
                conversation_id=uuid.UUID(conversation["id"]),
                owner_id=owner,
                reason="three questions on recursion",
                summary={"weak_topics": ["Recursion"]},
            )
            .returning(TutorHandoff.id)
        )
    return conversation["id"], str(handoff_id)


async def test_a_handoff_reaches_the_tutors_inbox_and_is_resolved(api, session_factory):
    world = await organization(api)
    learner, tutor = world["learner"], world["tutor"]
    conversation_id, handoff_id = await _draft_handoff(session_factory, api, learner)
    before = await api.http.get(f"/v1/conversations/{conversation_id}", headers=tutor.headers(api))
    assert before.status_code == 403  # a chat is the learner's until they hand it off
    sent = await api.http.post(f"/v1/tutor-handoffs/{handoff_id}/send", json={}, headers=learner.headers(api))
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent" and sent.json()["tutor_id"] == tutor.user_id
    inbox = (await api.http.get("/v1/tutor/handoffs", headers=tutor.headers(api))).json()["handoffs"]
    assert [h["id"] for h in inbox] == [handoff_id]
    assert inbox[0]["learner_name"] == learner.clerk_id
    assert (await api.http.get(f"/v1/conversations/{conversation_id}", headers=tutor.headers(api))).status_code == 200
    other = await api.http.get(f"/v1/conversations/{conversation_id}", headers=world["other_tutor"].headers(api))
    assert other.status_code == 403
    resolved = await api.http.post(
        f"/v1/tutor-handoffs/{handoff_id}/decision",
        json={"decision": "resolve", "note": "We covered it on Tuesday"},
        headers=tutor.headers(api),
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    seen = (await api.http.get(f"/v1/tutor-handoffs/{handoff_id}", headers=learner.headers(api))).json()
    assert (seen["status"], seen["tutor_note"]) == ("resolved", "We covered it on Tuesday")

    _, lonely = await _draft_handoff(session_factory, api, world["peer"])
    nobody = await api.http.post(f"/v1/tutor-handoffs/{lonely}/send", json={}, headers=world["peer"].headers(api))
    assert nobody.status_code == 409 and "no tutor" in nobody.json()["error"]["message"]


async def test_removing_the_link_revokes_the_tutors_access_at_once(api):
    world = await organization(api)
    course = await _course(api, world["learner"], "revoked")
    tutor = world["tutor"]
    assert (await api.http.get(f"/v1/courses/{course['id']}", headers=tutor.headers(api))).status_code == 200
    [link] = (await api.http.get("/v1/me/tutors", headers=world["learner"].headers(api))).json()["links"]
    ended = await api.http.delete(f"/v1/tutor-links/{link['id']}", headers=world["learner"].headers(api))
    assert ended.status_code == 204
    assert (await api.http.get(f"/v1/courses/{course['id']}", headers=tutor.headers(api))).status_code == 403
    assert (await api.http.get("/v1/tutor/learners", headers=tutor.headers(api))).json()["learners"] == []
    removed = await api.http.delete(
        f"/v1/organizations/{world.org_id}/members/{world['peer'].user_id}", headers=world["admin"].headers(api)
    )
    assert removed.status_code == 204
    # An old token naming the organisation does not bring the membership back.
    orgs = (await api.http.get("/v1/organizations", headers=world["peer"].headers(api))).json()
    assert orgs["organizations"] == [] and orgs["active_organization_id"] is None


async def test_the_tutor_reads_a_context_written_by_a_workflow(api):
    world = await organization(api)
    learner, tutor = world["learner"], world["tutor"]
    course = await _course(api, learner, "context")
    quiz = (
        await api.http.post(
            f"/v1/courses/{course['id']}/study-content", json={"type": "quiz"}, headers=learner.headers(api)
        )
    ).json()
    quiz = await wait_content_as(api, learner, quiz["id"])
    await api.http.post(f"/v1/quizzes/{quiz['id']}/attempts", json={"answers": {}}, headers=learner.headers(api))
    due = (date.today() + timedelta(days=30)).isoformat()
    goal = await api.http.post(
        "/v1/goals",
        json={"kind": "mastery", "course_id": course["id"], "target": 0.8, "due_date": due},
        headers=learner.headers(api),
    )
    assert goal.status_code == 201, goal.text

    async def context():
        response = await api.http.get(f"/v1/tutor/learners/{learner.user_id}/context", headers=tutor.headers(api))
        assert response.status_code == 200, response.text
        return response.json()

    first = await context()
    assert first["current_challenges"], "a failed quiz leaves topics to work on"
    assert first["practice_history"][0]["percentage"] == 0
    (wanted,) = first["goals"]
    assert wanted["status"] == "active" and wanted["kind"] == "mastery" and wanted["due_date"] == due
    assert wanted["goal"].startswith("reach 80% mastery in") and 0 <= wanted["percent"] < 100, wanted
    assert wanted["state"] in ("on_track", "behind") and wanted["pace"], wanted
    assert first["recent_sessions"] == []
    written = await poll_until(context, lambda c: c["summary"] is not None and not c["stale"], timeout=60)
    assert written["summary_by"]
    peer = await api.http.get(f"/v1/tutor/learners/{learner.user_id}/context", headers=world["peer"].headers(api))
    assert peer.status_code == 404


async def test_organisation_workflow_histories_replay(api, temporal_env):
    """A group's fan-out and a learner context's writing, recorded from a real run and replayed."""
    world = await organization(api)
    tutor, learner = world["tutor"], world["learner"]
    course = await _course(api, tutor, "replayed")
    group = (
        await api.http.post(f"/v1/organizations/{world.org_id}/groups", json={"name": "G"}, headers=tutor.headers(api))
    ).json()
    await api.http.post(
        f"/v1/groups/{group['id']}/members", json={"learner_id": learner.user_id}, headers=tutor.headers(api)
    )
    assignment = (
        await api.http.post(
            "/v1/assignments",
            json={"kind": "course", "course_id": course["id"], "group_id": group["id"]},
            headers=tutor.headers(api),
        )
    ).json()
    context_url = f"/v1/tutor/learners/{learner.user_id}/context"

    async def context():
        return (await api.http.get(context_url, headers=tutor.headers(api))).json()

    await poll_until(context, lambda c: c["summary"] is not None, timeout=60)
    fan_out = temporal_env.client.get_workflow_handle(f"assignment-fan-out-{assignment['id']}")
    assert await fan_out.result() == 1
    writer = temporal_env.client.get_workflow_handle(f"learner-context-{world.org_id}-{learner.user_id}")
    assert await writer.result() == "written"
    for name, handle in (("AssignmentFanOutWorkflow", fan_out), ("LearnerContextWorkflow", writer)):
        history = await handle.fetch_history()
        await replayer().replay_workflow(history)
        if os.environ.get("STUDYFLOW_RECORD_HISTORIES"):
            (HISTORIES / f"{name}__{RECORDING_LABEL}.json").write_text(history.to_json())
