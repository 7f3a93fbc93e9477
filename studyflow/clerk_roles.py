"""Clerk's organisation roles (`org:<key>`) as studyflow's: the default admin, a custom `tutor`
key for tutors, and everything else (the default member, any other custom role) a learner. Read
from session tokens and from membership webhooks alike, so both say the same."""

from __future__ import annotations

from studyflow.statuses import Role

_ROLES = {"org:admin": Role.admin, "admin": Role.admin, "org:tutor": Role.tutor, "tutor": Role.tutor}


def role_from_clerk(key: str | None) -> Role:
    return _ROLES.get(key or "", Role.learner)
