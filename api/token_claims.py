"""What a verified session token may say, checked before anything is read from it: a token that
is signed but shaped wrong (no expiry, an expiry years away, a foreign `azp`, a 5,000-character
or control-character subject) is refused with 401, never trusted and never a 500."""

from __future__ import annotations

import re
from dataclasses import dataclass

from studyflow.clerk_roles import role_from_clerk
from studyflow.statuses import Role

_SUBJECT = re.compile(r"^[A-Za-z0-9_.:@|-]{1,200}$")
_ORG_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class ClaimError(ValueError):
    """The token's claims cannot be used; the message says which."""


@dataclass(frozen=True)
class OrgClaim:
    external_id: str  # Clerk's organisation id (embedded organisations: org_<hex>)
    role: Role


@dataclass(frozen=True)
class Principal:
    clerk_id: str
    email: str | None = None
    name: str | None = None
    org: OrgClaim | None = None


def principal_from(
    payload: dict, *, now: float, max_lifetime_seconds: float, authorized_parties: list[str]
) -> Principal:
    expires = payload.get("exp")
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise ClaimError("token has no expiry")
    if expires - now > max_lifetime_seconds:
        raise ClaimError(f"token expires too far ahead (more than {max_lifetime_seconds:g} s)")
    subject = payload.get("sub")
    if not isinstance(subject, str) or not _SUBJECT.match(subject):
        raise ClaimError("token subject is not a user id")
    party = payload.get("azp")
    if party is not None and party not in authorized_parties:
        raise ClaimError("token was issued for another site (azp)")
    return Principal(
        clerk_id=subject,
        email=_text(payload, "email", 320, must_contain="@"),
        name=_text(payload, "name", 200),
        org=_org(payload),
    )


def _text(payload: dict, claim: str, limit: int, must_contain: str = "") -> str | None:
    value = payload.get(claim)
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= limit or _CONTROL.search(value) or must_contain not in value:
        raise ClaimError(f"token {claim} claim is malformed")
    return value


def _org(payload: dict) -> OrgClaim | None:
    """Clerk's session tokens name the active organisation as `o: {id, rol}` (version 2) or
    `org_id`/`org_role` (version 1)."""
    compact = payload.get("o")
    if compact is not None and not isinstance(compact, dict):
        raise ClaimError("token organisation claim is malformed")
    org_id = (compact or {}).get("id", payload.get("org_id"))
    role = (compact or {}).get("rol", payload.get("org_role"))
    if org_id is None:
        return None
    if not isinstance(org_id, str) or not _ORG_ID.match(org_id) or not isinstance(role, str | None):
        raise ClaimError("token organisation claim is malformed")
    return OrgClaim(external_id=org_id, role=role_from_clerk(role))
