"""An organisation built through the API as people would build it: an admin makes it, invites a
tutor and learners (a tutor's invitation links the learner who accepts it), and a second
organisation with its own admin, and someone in no organisation at all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass
class Person:
    clerk_id: str
    org_external_id: str | None = None
    role: str | None = None
    user_id: str | None = None

    def headers(self, api) -> dict[str, str]:
        token = api.token(self.clerk_id, org_id=self.org_external_id, org_role=self.role)
        return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    org_id: str
    org_external_id: str
    people: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Person:
        return self.people[name]


async def join(api, inviter: Person, org_id: str, person: Person, role: str, external_id: str) -> None:
    issued = await api.http.post(
        f"/v1/organizations/{org_id}/invitations", json={"role": role}, headers=inviter.headers(api)
    )
    assert issued.status_code == 201, issued.text
    accepted = await api.http.post(
        f"/v1/invitations/{issued.json()['token']}/accept", headers=Person(person.clerk_id).headers(api)
    )
    assert accepted.status_code == 200, accepted.text
    person.org_external_id, person.role = external_id, accepted.json()["role"]


async def organization(api, label: str | None = None) -> World:
    """admin, tutor (linked to learner), other_tutor, learner, peer (another learner), and
    other_admin of another organisation, outsider in none."""
    suffix = label or uuid.uuid4().hex[:8]
    names = ["admin", "tutor", "other_tutor", "learner", "peer", "other_admin", "outsider"]
    people = {name: Person(f"{name}_{suffix}") for name in names}
    made = await api.http.post(
        "/v1/organizations", json={"name": f"Centre {suffix}"}, headers=people["admin"].headers(api)
    )
    assert made.status_code == 201, made.text
    org_id, external = made.json()["id"], made.json()["external_id"]
    admin = people["admin"]
    admin.org_external_id, admin.role = external, "admin"
    await join(api, admin, org_id, people["tutor"], "tutor", external)
    await join(api, admin, org_id, people["other_tutor"], "tutor", external)
    await join(api, people["tutor"], org_id, people["learner"], "learner", external)  # linked to the tutor
    await join(api, admin, org_id, people["peer"], "learner", external)
    other = await api.http.post(
        "/v1/organizations", json={"name": f"Other {suffix}"}, headers=people["other_admin"].headers(api)
    )
    people["other_admin"].org_external_id, people["other_admin"].role = other.json()["external_id"], "admin"
    world = World(org_id=org_id, org_external_id=external, people=people)
    for person in people.values():
        me = await api.http.get("/v1/me", headers=person.headers(api))
        assert me.status_code == 200, me.text
    members = await api.http.get(f"/v1/organizations/{org_id}/members", headers=admin.headers(api))
    by_clerk = {m["clerk_id"]: m["user_id"] for m in members.json()["members"]}
    for person in people.values():
        person.user_id = by_clerk.get(person.clerk_id)
    return world
