"""Clerk Organizations in production: organisation and membership webhooks provision studyflow's
organisations, memberships and roles through the provisioning workflow; a removal revokes at once
what the membership gave; deliveries that arrive out of order never undo newer ones (issue 32)."""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import select
from temporalio.service import RPCError

from db.models import Membership, Organization, TutorLink, User
from studyflow import workflow_ids
from tests.support.app import open_api_client
from tests.support.polling import poll_until
from tests.support.signing import CLERK_SECRET, clerk_delivery


@pytest.fixture
async def hooks(settings, temporal_env, worker):
    configured = type(settings).model_validate(
        settings.model_copy(update={"clerk_webhook_secret": CLERK_SECRET}).model_dump()
    )
    async with AsyncExitStack() as stack:
        yield await open_api_client(stack, configured, temporal_env)


def _org(org_id: str, name: str, updated_at: int | None = None) -> dict:
    data = {"id": org_id, "object": "organization", "name": name, "slug": name.lower().replace(" ", "-")}
    if updated_at is not None:
        data["updated_at"] = updated_at
    return data


def _event(kind: str, data: dict) -> dict:
    return {"type": kind, "object": "event", "data": data}


def _membership(kind: str, org: dict, user_id: str, role: str, updated_at: int) -> dict:
    return {
        "type": f"organizationMembership.{kind}",
        "object": "event",
        "data": {
            "id": f"orgmem_{org['id']}_{user_id}",
            "object": "organization_membership",
            "organization": org,
            "public_user_data": {
                "user_id": user_id,
                "identifier": f"{user_id}@example.com",
                "first_name": "Ada",
                "last_name": user_id[-4:],
            },
            "role": role,
            "created_at": updated_at,
            "updated_at": updated_at,
        },
    }


async def _deliver(api, event: dict) -> str:
    body, headers = clerk_delivery(event)
    answer = await api.http.post("/v1/webhooks/clerk", content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    return headers["svix-id"]


async def _applied(temporal_env, deliveries: list[str]) -> list[str]:
    """Waits for each delivery's provisioning workflow; its outcomes, in the order given."""

    async def outcome(delivery: str) -> str:
        handle = temporal_env.client.get_workflow_handle(workflow_ids.clerk_event(delivery))
        return await poll_until(lambda: _result(handle), lambda r: r is not None, timeout=30)

    return [await outcome(d) for d in deliveries]


async def _result(handle) -> str | None:
    try:
        # Bounded, so a workflow that never ends fails the poll instead of hanging the test.
        return await asyncio.wait_for(handle.result(), timeout=2)
    except (RPCError, TimeoutError):  # not started yet (the start follows the answer), or still running
        return None


async def _memberships(session_factory, org_external: str) -> dict[str, tuple[str, bool]]:
    """clerk user id → (role, removed)"""
    async with session_factory() as session:
        rows = await session.execute(
            select(User.clerk_id, Membership.role, Membership.removed_at)
            .join(Membership, Membership.user_id == User.id)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Organization.clerk_org_id == org_external)
        )
        return {r.clerk_id: (r.role, r.removed_at is not None) for r in rows}


def _headers(api, clerk_id: str, org: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(clerk_id, org_id=org, org_role=role)}"}


async def test_membership_webhooks_provision_roles_and_a_removal_revokes_the_tutors_access(
    hooks, session_factory, temporal_env
):
    suffix = uuid.uuid4().hex[:8]
    org_external = f"org_clerk{suffix}"
    admin, tutor, learner = (f"user_{name}{suffix}" for name in ("admin", "tutor", "learner"))
    now = int(time.time() * 1000)
    org = _org(org_external, "North Centre", now)
    created = await _deliver(hooks, _event("organization.created", org))
    assert await _applied(temporal_env, [created]) == ["organization_upserted"]
    made = [
        await _deliver(hooks, _membership("created", org, admin, "org:admin", now)),
        await _deliver(hooks, _membership("created", org, tutor, "org:tutor", now)),
        await _deliver(hooks, _membership("created", org, learner, "org:member", now)),
    ]
    assert await _applied(temporal_env, made) == ["member_upserted"] * 3
    members = await _memberships(session_factory, org_external)
    assert members == {admin: ("admin", False), tutor: ("tutor", False), learner: ("learner", False)}

    # The rows decide the role, not what a token claims: the admin acts as admin from a token
    # calling them a plain member, and the learner is no admin whatever theirs says.
    listed = await hooks.http.get("/v1/organizations", headers=_headers(hooks, admin, org_external, "org:member"))
    assert listed.status_code == 200, listed.text
    (mine,) = [o for o in listed.json()["organizations"] if o["external_id"] == org_external]
    assert mine["name"] == "North Centre" and mine["role"] == "admin" and mine["active"] is True
    org_id = mine["id"]
    as_admin = _headers(hooks, admin, org_external, "org:member")
    roster = await hooks.http.get(f"/v1/organizations/{org_id}/members", headers=as_admin)
    assert roster.status_code == 200, roster.text
    ids = {m["clerk_id"]: m["user_id"] for m in roster.json()["members"]}
    assert {m["clerk_id"]: m["role"] for m in roster.json()["members"]} == {
        admin: "admin",
        tutor: "tutor",
        learner: "learner",
    }
    denied = await hooks.http.get(
        f"/v1/organizations/{org_id}/members", headers=_headers(hooks, learner, org_external, "org:admin")
    )
    assert denied.status_code == 403, denied.text

    linked = await hooks.http.post(
        f"/v1/organizations/{org_id}/tutor-links",
        json={"tutor_id": ids[tutor], "learner_id": ids[learner]},
        headers=as_admin,
    )
    assert linked.status_code == 201, linked.text
    as_tutor = _headers(hooks, tutor, org_external, "org:tutor")
    seen = await hooks.http.get(f"/v1/tutor/learners/{ids[learner]}/context", headers=as_tutor)
    assert seen.status_code == 200, seen.text

    # Clerk makes the tutor a plain member: the link goes with the tutor role, at once.
    demoted = await _deliver(hooks, _membership("updated", org, tutor, "org:member", now + 10))
    assert await _applied(temporal_env, [demoted]) == ["member_upserted"]
    assert (await _memberships(session_factory, org_external))[tutor] == ("learner", False)
    async with session_factory() as session:
        link = await session.get(TutorLink, uuid.UUID(linked.json()["id"]))
        assert link.revoked_at is not None
    gone = await hooks.http.get(f"/v1/tutor/learners/{ids[learner]}/context", headers=as_tutor)
    assert gone.status_code in (403, 404), gone.text

    # Clerk removes the learner: their token still names the organisation, but they study in
    # their own space now, and the admin's roster no longer lists them.
    removed = await _deliver(hooks, _membership("deleted", org, learner, "org:member", now + 20))
    assert await _applied(temporal_env, [removed]) == ["member_removed"]
    assert (await _memberships(session_factory, org_external))[learner] == ("learner", True)
    me = await hooks.http.get("/v1/organizations", headers=_headers(hooks, learner, org_external, "org:member"))
    assert me.json()["active_organization_id"] is None and me.json()["organizations"] == []
    roster = await hooks.http.get(f"/v1/organizations/{org_id}/members", headers=as_admin)
    assert learner not in {m["clerk_id"] for m in roster.json()["members"]}


async def test_deliveries_out_of_order_never_undo_newer_ones(hooks, session_factory, temporal_env):
    suffix = uuid.uuid4().hex[:8]
    org_external = f"org_order{suffix}"
    admin, person, late = (f"user_{name}{suffix}" for name in ("admin", "person", "late"))
    t = int(time.time() * 1000)
    org = _org(org_external, "Order Centre", t)
    first = [
        await _deliver(hooks, _membership("created", org, admin, "org:admin", t)),
        # The newer update (tutor) arrives before the older creation (member).
        await _deliver(hooks, _membership("updated", org, person, "org:tutor", t + 200)),
        # A deletion arrives before the creation it follows.
        await _deliver(hooks, _membership("deleted", org, late, "org:member", t + 300)),
        # A newer rename arrives before an older one.
        await _deliver(hooks, _event("organization.updated", _org(org_external, "Renamed", t + 50))),
    ]
    assert await _applied(temporal_env, first) == [
        "member_upserted",
        "member_upserted",
        "member_removed",
        "organization_upserted",
    ]
    late_ones = [
        await _deliver(hooks, _membership("created", org, person, "org:member", t + 100)),
        await _deliver(hooks, _membership("created", org, late, "org:member", t + 300)),
        await _deliver(hooks, _event("organization.updated", _org(org_external, "Older", t + 40))),
    ]
    assert await _applied(temporal_env, late_ones) == ["stale", "stale", "stale"]
    async with session_factory() as session:
        name = await session.scalar(select(Organization.name).where(Organization.clerk_org_id == org_external))
    assert name == "Renamed"
    assert await _memberships(session_factory, org_external) == {
        admin: ("admin", False),
        person: ("tutor", False),
        late: ("learner", True),
    }
    # Later Clerk adds the removed person again (a newer membership): Clerk says otherwise now.
    again = await _deliver(hooks, _membership("created", org, late, "org:member", t + 400))
    assert await _applied(temporal_env, [again]) == ["member_upserted"]
    assert (await _memberships(session_factory, org_external))[late] == ("learner", False)


async def test_a_deleted_organisation_ends_every_membership_and_stays_deleted(hooks, session_factory, temporal_env):
    suffix = uuid.uuid4().hex[:8]
    org_external = f"org_gone{suffix}"
    admin, member = f"user_admin{suffix}", f"user_member{suffix}"
    t = int(time.time() * 1000)
    org = _org(org_external, "Closing Centre", t)
    made = [
        await _deliver(hooks, _membership("created", org, admin, "org:admin", t)),
        await _deliver(hooks, _membership("created", org, member, "org:member", t)),
    ]
    assert await _applied(temporal_env, made) == ["member_upserted", "member_upserted"]
    deleted = await _deliver(hooks, _event("organization.deleted", {"id": org_external, "deleted": True}))
    assert await _applied(temporal_env, [deleted]) == ["organization_deleted"]
    # A late update or membership changes nothing; a token still naming it acts in no organisation.
    late = [
        await _deliver(hooks, _event("organization.updated", _org(org_external, "Back", t + 99))),
        await _deliver(hooks, _membership("created", org, f"user_new{suffix}", "org:admin", t + 99)),
    ]
    assert await _applied(temporal_env, late) == ["stale", "ignored"]
    listed = await hooks.http.get("/v1/organizations", headers=_headers(hooks, admin, org_external, "org:admin"))
    assert listed.status_code == 200 and listed.json()["organizations"] == [], listed.text
    stranger = await hooks.http.get(
        "/v1/organizations", headers=_headers(hooks, f"user_fresh{suffix}", org_external, "org:admin")
    )
    assert stranger.status_code == 200 and stranger.json()["active_organization_id"] is None, stranger.text
    async with session_factory() as session:
        row = await session.scalar(select(Organization).where(Organization.clerk_org_id == org_external))
        assert row.deleted_at is not None and row.name == "Closing Centre"
    assert await _memberships(session_factory, org_external) == {admin: ("admin", True), member: ("learner", True)}


async def test_an_unusable_membership_event_is_acknowledged_as_ignored_and_starts_nothing(hooks, session_factory):
    org = _org(f"org_bad{uuid.uuid4().hex[:8]}", "Bad Centre")
    event = _membership("created", org, "user_x", "org:member", 1)
    del event["data"]["public_user_data"]
    body, headers = clerk_delivery(event)
    answer = await hooks.http.post("/v1/webhooks/clerk", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["outcome"] == "ignored", answer.text
    async with session_factory() as session:
        assert await session.scalar(select(Organization).where(Organization.clerk_org_id == org["id"])) is None


async def test_a_membership_id_naming_another_pair_is_ignored_and_its_workflow_ends(
    hooks, session_factory, temporal_env
):
    """Found by the webhook fuzz: such a delivery clashed on the membership id's unique key and
    its workflow retried forever."""
    suffix = uuid.uuid4().hex[:8]
    now = int(time.time() * 1000)
    north, south = _org(f"org_north{suffix}", "North", now), _org(f"org_south{suffix}", "South", now)
    first = _membership("created", north, f"user_ann{suffix}", "org:member", now)
    reused_id = first["data"]["id"]
    assert await _applied(temporal_env, [await _deliver(hooks, first)]) == ["member_upserted"]
    for kind in ("created", "deleted"):
        other = _membership(kind, south, f"user_bob{suffix}", "org:member", now + 1)
        other["data"]["id"] = reused_id
        assert await _applied(temporal_env, [await _deliver(hooks, other)]) == ["ignored"]
    assert await _memberships(session_factory, north["id"]) == {f"user_ann{suffix}": ("learner", False)}
    assert await _memberships(session_factory, south["id"]) == {}
