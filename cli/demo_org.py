"""`studyflow demo-org`: a tutoring centre populated in one command, against a running stack, so a
newcomer sees the tutor and admin side: an admin, two tutors, six learners (three linked to each
tutor through invitations they accept), a group per tutor, a course built from a short study
sheet, and its quiz assigned to each group. Prints how to sign in as each of them."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import httpx

from api.dev_auth import ensure_keypair, mint_session_token
from studyflow.settings import Settings

SHEET = b"""# Fractions

## What a fraction is
A fraction is a number written as a numerator over a denominator. The denominator says into how
many equal parts a whole is cut; the numerator says how many of those parts are taken.

## Equivalent fractions
Equivalent fractions are fractions that name the same amount, such as 1/2 and 2/4. Multiplying
or dividing the numerator and the denominator by the same number gives an equivalent fraction.

## Adding fractions
Fractions are added over a common denominator. The lowest common denominator is the least common
multiple of the denominators; the numerators are then added and the denominator kept.
"""
LEARNERS = ["amara", "ben", "chloe", "dev", "elena", "farid"]


@dataclass
class _Person:
    name: str
    role: str | None = None
    org: str | None = None


class DemoOrganization:
    def __init__(self, settings: Settings, base_url: str, name: str, timeout: float = 300, out=sys.stdout):
        self._settings = settings
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=30)
        self._name = name
        self._timeout = timeout
        self._out = out
        self._key, _ = ensure_keypair(settings.dev_key_dir)

    def _headers(self, person: _Person) -> dict[str, str]:
        token = mint_session_token(
            self._key, person.name, name=person.name.capitalize(), org_id=person.org, org_role=person.role
        )
        return {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, person: _Person, **kwargs) -> dict:
        response = self._http.request(method, path, headers=self._headers(person), **kwargs)
        if response.status_code >= 400:
            raise SystemExit(f"demo-org: {method} {path} → {response.status_code}: {response.text}")
        return response.json() if response.content else {}

    def _wait(self, path: str, person: _Person, done) -> dict:
        deadline = time.monotonic() + self._timeout
        while True:
            state = self._call("GET", path, person)
            if done(state):
                return state
            if time.monotonic() > deadline:
                raise SystemExit(f"demo-org: {path} not done after {self._timeout:.0f}s: {state.get('status')}")
            time.sleep(1)

    def _join(self, inviter: _Person, org_id: str, external: str, person: _Person, role: str) -> None:
        issued = self._call("POST", f"/v1/organizations/{org_id}/invitations", inviter, json={"role": role})
        accepted = self._call("POST", f"/v1/invitations/{issued['token']}/accept", person)
        person.org, person.role = external, accepted["role"]
        self._print(
            f"  ✓ {person.name:<8} joined as {person.role}"
            + (f", linked to {inviter.name}" if inviter.role == "tutor" else "")
        )

    def _print(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    def run(self) -> int:
        admin = _Person("admin")
        org = self._call("POST", "/v1/organizations", admin, json={"name": self._name})
        org_id, external = org["id"], org["external_id"]
        admin.org, admin.role = external, "admin"
        self._print(f"organisation {self._name!r} ({external})")
        tutors = [_Person("tutor_ana"), _Person("tutor_omar")]
        for tutor in tutors:
            self._join(admin, org_id, external, tutor, "tutor")
        learners = [_Person(name) for name in LEARNERS]
        for index, learner in enumerate(learners):
            self._join(tutors[index % 2], org_id, external, learner, "learner")
        for tutor in tutors:
            source = self._http.post(
                "/v1/sources", headers=self._headers(tutor), files={"file": ("fractions.md", SHEET, "text/markdown")}
            )
            if source.status_code >= 400:
                raise SystemExit(f"demo-org: uploading the study sheet → {source.status_code}: {source.text}")
            self._wait(f"/v1/sources/{source.json()['id']}", tutor, lambda s: s["status"] != "processing")
            course = self._call("POST", "/v1/courses", tutor, json={"source_ids": [source.json()["id"]]})
            self._wait(f"/v1/courses/{course['course_id']}", tutor, lambda c: c["status"] != "generating")
            group = self._call(
                "POST",
                f"/v1/organizations/{org_id}/groups",
                tutor,
                json={"name": f"{tutor.name[6:].capitalize()}'s group"},
            )
            mine = [learner for index, learner in enumerate(learners) if tutors[index % 2] is tutor]
            for learner in mine:
                self._call(
                    "POST", f"/v1/groups/{group['id']}/members", tutor, json={"learner_id": self._user_id(learner)}
                )
            self._call(
                "POST",
                "/v1/assignments",
                tutor,
                json={
                    "kind": "quiz",
                    "course_id": course["course_id"],
                    "group_id": group["id"],
                    "note": "Before our next session",
                },
            )
            self._print(f"  ✓ {tutor.name} made a course, a group of {len(mine)} and assigned its quiz")
        self._print("\nsign in (web app: choose the organisation and role), or mint tokens:")
        for person in [admin, *tutors, *learners]:
            self._print(f"  make token USER={person.name} ORG={external} ROLE={person.role}")
        return 0

    def _user_id(self, person: _Person) -> str:
        me = self._call("GET", "/v1/organizations", person)
        admin_members = self._call(
            "GET", f"/v1/organizations/{me['active_organization_id']}/members", _Person("admin", "admin", person.org)
        )
        return next(m["user_id"] for m in admin_members["members"] if m["clerk_id"] == person.name)
